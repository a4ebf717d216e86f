/**
 * Words that say nothing about what a group of journal entries is about: English function words, the
 * filler of diary writing ("today", "feel") and time words every entry carries. Stricter than the entry
 * keyword list on purpose: a topic label has three words, and one of them spent on "week" is wasted.
 */
const STOPWORDS = new Set(
  `a about above across after afterwards again against all almost alone along already also although always
am among an and another any anyone anything anyway are aren't around as at away back be became because become
been before being below beside besides between both but by came can can't cannot come comes could couldn't did
didn't do does doesn't doing don't done down during each either else enough even ever every everyone
everything few first for from further get gets getting give go goes going gone got had hadn't has hasn't
have haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd
i'll i'm i've if in into is isn't it it'd it'll it's its itself just keep kept know last least less let let's
like little made make makes many may me might more most much must my myself need never next no nobody none
nor not nothing now of off often oh on once one only onto or other others our ours ourselves out over own
put quite rather really said same saw say says see seem seemed seems set she she'd she'll she's should
shouldn't since so some someone something sometimes still such take than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've thing things think this those though
thought through to too took towards two three four five under until up upon us very want wanted was wasn't
way we we'd we'll we're we've well went were weren't what what's whatever when where which while who whole
whom whose why will with within without won't would wouldn't yes yet you you'd you'll you're you've your
yours yourself actually almost bit day days felt feel feeling feels lot lots maybe minutes morning night
today tonight tomorrow yesterday week weeks weekend month months year years time times hour hours good bad
big small new old long right sure okay ok pretty kind sort probably finally again ago every tried try trying
went told asked still just first second third last since half ten twenty hundred`.split(/\s+/),
);

const WORD = /[\p{L}][\p{L}'’-]*/gu;

/** Lower-cased content words of a text, possessives and stopwords dropped. */
export function contentWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0]
      .replace(/’/g, "'")
      .replace(/'s$/, "")
      .replace(/^[-']+|[-']+$/g, "");
    if (word.length < 3 || word.includes("'") || STOPWORDS.has(word)) continue;
    words.push(word);
  }
  return words;
}

/**
 * Folds a plural onto its singular when the singular occurs too ("runs" → "run", "boxes" → "box"), so one
 * idea is not split across two label candidates. A dictionary stemmer would also merge "running"; without
 * one, this stays conservative and never invents a word that was not written.
 */
export function singularForms(vocabulary: ReadonlySet<string>): Map<string, string> {
  const folded = new Map<string, string>();
  for (const word of vocabulary) {
    if (word.length < 4 || !word.endsWith("s") || word.endsWith("ss")) continue;
    const candidates = word.endsWith("ies")
      ? [`${word.slice(0, -3)}y`]
      : word.endsWith("es")
        ? [word.slice(0, -2), word.slice(0, -1)]
        : [word.slice(0, -1)];
    const singular = candidates.find((candidate) => vocabulary.has(candidate));
    if (singular) folded.set(word, singular);
  }
  return folded;
}

/**
 * Class-based TF-IDF (Grootendorst, BERTopic, 2022): all texts of one cluster are read as one document,
 * and a term weighs tf(t, c) · log(1 + A / f(t)), where tf is the term's share of the cluster's words,
 * A the average number of words per cluster and f(t) the term's count over all clusters. A word frequent in
 * one cluster and rare elsewhere scores high; a word every cluster uses does not.
 */
export function classTfIdf(clusters: readonly (readonly string[])[], topN: number): string[][] {
  const tokenised = clusters.map((texts) => texts.flatMap(contentWords));
  const fold = singularForms(new Set(tokenised.flat()));
  const counts = tokenised.map((words) => {
    const map = new Map<string, number>();
    for (const word of words) {
      const term = fold.get(word) ?? word;
      map.set(term, (map.get(term) ?? 0) + 1);
    }
    return map;
  });
  const totals = new Map<string, number>();
  for (const map of counts) for (const [term, n] of map) totals.set(term, (totals.get(term) ?? 0) + n);
  const wordsPerCluster = counts.map((map) => [...map.values()].reduce((a, b) => a + b, 0));
  const average = wordsPerCluster.reduce((a, b) => a + b, 0) / Math.max(1, counts.length);
  return counts.map((map, c) => {
    const size = Math.max(1, wordsPerCluster[c] ?? 0);
    // A word written once in the whole cluster is an anecdote, not a theme, unless the cluster is tiny.
    const minCount = size >= 150 ? 2 : 1;
    return [...map.entries()]
      .filter(([, n]) => n >= minCount)
      .map(([term, n]) => ({ term, weight: (n / size) * Math.log(1 + average / (totals.get(term) ?? n)) }))
      .sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term))
      .slice(0, topN)
      .map(({ term }) => term);
  });
}
