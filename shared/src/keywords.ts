/**
 * Keywords of a text, computed the same way on the nodes (an entry's analysis) and at the edge (tag
 * suggestions for a draft, or for an entry whose analysis has not landed), so a draft's suggestions read
 * like the keywords its analysis will later store.
 */

/** Words too common to say anything about an entry (English function words and journal filler). */
export const KEYWORD_STOPWORDS = new Set(
  `a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
each even ever every few for from further get gets getting got had hadn't has hasn't have haven't having he
he'd he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into
is isn't it it's its itself just know let's like made make many may me might more most much must mustn't my
myself need never no nor not now of off often on once one only or other ought our ours ourselves out over own
really same say said see seem seemed shan't she she'd she'll she's should shouldn't since so some something
still such take than that that's the their theirs them themselves then there there's these they they'd
they'll they're they've thing things think this those though through to today too under until up upon us
very was wasn't way we we'd we'll we're we've well went were weren't what what's when when's where where's
whether which while who who's whom why why's will with without won't would wouldn't yet you you'd you'll
you're you've your yours yourself yourselves day feel felt going lot bit maybe got go went want wanted back
around anything everything nothing kind sort pretty quite yeah okay ok`.split(/\s+/),
);

const WORD = /[\p{L}][\p{L}\p{N}'’-]*/gu;

/**
 * Deterministic keywords: lower-cased words, possessives and stopwords dropped, ranked by how often they
 * occur (ties: first appearance). Cheap, explainable, and the same on every node.
 */
export function extractKeywords(text: string, limit = 8): string[] {
  const counts = new Map<string, { count: number; first: number }>();
  let position = 0;
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0]
      .replace(/’/g, "'")
      .replace(/'s$/, "")
      .replace(/^[-']+|[-']+$/g, "");
    position++;
    if (word.length < 3 || KEYWORD_STOPWORDS.has(word)) continue;
    const entry = counts.get(word);
    if (entry) entry.count++;
    else counts.set(word, { count: 1, first: position });
  }
  return [...counts.entries()]
    .sort(([, a], [, b]) => b.count - a.count || a.first - b.first)
    .slice(0, limit)
    .map(([word]) => word);
}

/**
 * The word a keyword is compared by: lower-cased, possessive dropped, a plural `s` dropped ("deadlines"
 * and "deadline" are one word), so a tag or a topic's words meet a text however either is inflected.
 */
export function keywordStem(word: string): string {
  const bare = word
    .toLowerCase()
    .replace(/’/g, "'")
    .replace(/'s$/, "")
    .replace(/^[-']+|[-']+$/g, "");
  if (bare.length > 4 && bare.endsWith("ies")) return `${bare.slice(0, -3)}y`;
  if (bare.length > 3 && bare.endsWith("s") && !bare.endsWith("ss") && !bare.endsWith("us")) {
    return bare.slice(0, -1);
  }
  return bare;
}

/** The stems of a text's content words (no stopwords, none shorter than three letters). */
export function contentStems(text: string): Set<string> {
  const stems = new Set<string>();
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0]
      .replace(/’/g, "'")
      .replace(/'s$/, "")
      .replace(/^[-']+|[-']+$/g, "");
    if (word.length < 3 || KEYWORD_STOPWORDS.has(word)) continue;
    stems.add(keywordStem(word));
  }
  return stems;
}
