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
went told asked still just first second third last since ten twenty hundred started start starting
starts stop stopped stopping finished finish decided realised realized remember remembered noticed managed
happened spent called came left looked looking turned used using getting trying felt completely together
tiny simple enough properly exactly honestly suddenly usually instead anyway somehow apparently nearly
barely especially slightly different real hard easy best better worse worst great nice fine happy glad
sad upset awful lovely terrible horrible weird strange funny people person everybody somebody anybody
definitely literally basically totally able afternoon evening hand hands head place part end minute
looks looked thank thanks mean meant coming whatever someone's today's`.split(/\s+/),
);

const WORD = /[\p{L}][\p{L}'’-]*/gu;

/** A content word, or a break where a stop word or punctuation stood (phrases never span one). */
type Token = string | null;

function normalise(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/’/g, "'")
    .replace(/'s$/, "")
    .replace(/^[-']+|[-']+$/g, "");
}

function isContent(word: string): boolean {
  return word.length >= 3 && !word.includes("'") && !STOPWORDS.has(word);
}

/** Lower-cased content words of a text, possessives and stopwords dropped. */
export function contentWords(text: string): string[] {
  return tokens(text).filter((token): token is string => token !== null);
}

/** Content words in order, with a break for every stop word and every clause-ending punctuation mark. */
function tokens(text: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  for (const match of text.matchAll(WORD)) {
    if (/[.,;:!?()"\n–—]/.test(text.slice(last, match.index))) out.push(null);
    last = (match.index ?? 0) + match[0].length;
    const word = normalise(match[0]);
    out.push(isContent(word) ? word : null);
  }
  return out;
}

/**
 * Folds a plural onto its singular when the singular occurs too ("runs" → "run", "boxes" → "box"), so one
 * idea is not split across two label candidates.
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

/** Past tenses a suffix rule cannot undo, for verbs that name what a journal is about. */
const IRREGULAR: Readonly<Record<string, string>> = {
  ran: "run",
  slept: "sleep",
  ate: "eat",
  wrote: "write",
  written: "write",
  bought: "buy",
  sold: "sell",
  paid: "pay",
  drove: "drive",
  flew: "fly",
  swam: "swim",
  sang: "sing",
  drew: "draw",
  fought: "fight",
  taught: "teach",
  met: "meet",
  spoke: "speak",
  broke: "break",
  broken: "break",
  woke: "wake",
  woken: "wake",
  won: "win",
  lost: "lose",
};

/** -ing words that are nouns in their own right: "training" is not "train", "meeting" not "meet". */
const ING_NOUNS = new Set(
  "training meeting wedding morning evening building ceiling clothing feeling painting parking booking funeral spring thing nothing something everything anything string sibling ring king".split(
    " ",
  ),
);

/**
 * A word's lemma as far as the journal itself shows it: plurals, -ing and -ed forms fold onto a base form
 * only when that base was written somewhere in the journal ("running" → "run" when "run" occurs,
 * "hiked" → "hike"), plus a short table of irregular past tenses. Without a dictionary this stays
 * conservative and never invents a word nobody wrote.
 */
export function lemmaForms(vocabulary: ReadonlySet<string>): Map<string, string> {
  const lemmas = singularForms(vocabulary);
  const base = (candidates: string[]) => candidates.find((c) => c.length >= 3 && vocabulary.has(c));
  for (const word of vocabulary) {
    if (lemmas.has(word)) continue;
    const irregular = IRREGULAR[word];
    if (irregular) {
      lemmas.set(word, irregular);
      continue;
    }
    let found: string | undefined;
    if (word.endsWith("ing") && word.length >= 6 && !ING_NOUNS.has(word)) {
      const stem = word.slice(0, -3);
      found = base([stem, `${stem}e`, stem.slice(0, -1)].filter((_, i) => i < 2 || /(.)\1$/.test(stem)));
    } else if (word.endsWith("ied") && word.length >= 5) {
      found = base([`${word.slice(0, -3)}y`]);
    } else if (word.endsWith("ed") && word.length >= 5) {
      const stem = word.slice(0, -2);
      found = base([stem, `${stem}e`, stem.slice(0, -1)].filter((_, i) => i < 2 || /(.)\1$/.test(stem)));
    }
    if (found && found !== word) lemmas.set(word, lemmas.get(found) ?? found);
  }
  return lemmas;
}

/**
 * Class-based TF-IDF (Grootendorst, BERTopic, 2022) over lemmas and two-word phrases: all texts of one
 * cluster are read as one document, and a term weighs tf(t, c) · log(1 + A / f(t)), where tf is the share
 * of the cluster's entries that use the term, A the average number of entries per cluster and f(t) the
 * number of entries over all clusters that use it. Counting entries rather than words keeps one entry that
 * repeats a word from speaking for the whole topic. A phrase ("half marathon", "rescue dog") is two
 * adjacent content words with no stop word or punctuation between them, and counts only when two entries
 * of the cluster use it. Returns terms best first, each as written most often (a phrase) or as its lemma.
 */
export function classTfIdf(clusters: readonly (readonly string[])[], topN: number): string[][] {
  const tokenised = clusters.map((texts) => texts.map(tokens));
  const vocabulary = new Set<string>();
  for (const cluster of tokenised)
    for (const entry of cluster) for (const token of entry) if (token) vocabulary.add(token);
  const lemmas = lemmaForms(vocabulary);
  const lemma = (word: string) => lemmas.get(word) ?? word;
  // Surface forms of each phrase, so "running club" is shown as written rather than as "run club".
  const written = new Map<string, Map<string, number>>();
  const perCluster = tokenised.map((entries) => {
    const counts = new Map<string, number>();
    for (const entry of entries) {
      const seen = new Set<string>();
      entry.forEach((token, i) => {
        if (!token) return;
        seen.add(lemma(token));
        const next = entry[i + 1];
        if (!next) return;
        const key = `${lemma(token)} ${lemma(next)}`;
        if (lemma(token) === lemma(next)) return;
        seen.add(key);
        const forms = written.get(key) ?? new Map<string, number>();
        forms.set(`${token} ${next}`, (forms.get(`${token} ${next}`) ?? 0) + 1);
        written.set(key, forms);
      });
      for (const term of seen) counts.set(term, (counts.get(term) ?? 0) + 1);
    }
    return counts;
  });
  const totals = new Map<string, number>();
  for (const counts of perCluster)
    for (const [term, n] of counts) totals.set(term, (totals.get(term) ?? 0) + n);
  const average = tokenised.reduce((n, entries) => n + entries.length, 0) / Math.max(1, clusters.length);
  const display = (term: string) =>
    [...(written.get(term) ?? new Map([[term, 1]])).entries()].sort(
      (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
    )[0]?.[0] ?? term;
  return perCluster.map((counts, c) => {
    const size = Math.max(1, tokenised[c]?.length ?? 0);
    const ranked = (minEntries: number) =>
      [...counts.entries()]
        .filter(([term, n]) => n >= (term.includes(" ") ? 2 : minEntries))
        .map(([term, n]) => ({ term, weight: (n / size) * Math.log(1 + average / (totals.get(term) ?? n)) }))
        .sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term))
        .slice(0, topN)
        .map(({ term }) => display(term));
    // A term one entry used is an anecdote, not a theme, unless the cluster is tiny; a cluster whose
    // entries share no content word at all still gets its most particular words rather than no label.
    const shared = ranked(size >= 4 ? 2 : 1);
    return shared.length > 0 ? shared : ranked(1);
  });
}

/**
 * A label from a topic's ranked terms: the first few, a phrase counting as one term and taking the place of
 * its own words ("half marathon, pace", not "half marathon, marathon, half"); two terms when one is a
 * phrase, three otherwise, so a label stays short enough for a chip.
 */
export function topicLabel(terms: readonly string[], maxTerms = 3): string {
  const chosen: string[] = [];
  const words = new Set<string>();
  for (const term of terms) {
    const parts = term.split(" ");
    if (parts.every((part) => words.has(part))) continue;
    if (parts.length === 1 && chosen.some((c) => c.split(" ").includes(term))) continue;
    if (parts.length > 1) {
      // A phrase replaces a single word already chosen from it.
      for (let i = chosen.length - 1; i >= 0; i--)
        if (parts.includes(chosen[i] as string)) chosen.splice(i, 1);
    }
    chosen.push(term);
    for (const part of parts) words.add(part);
    const limit = chosen.some((c) => c.includes(" ")) ? Math.min(2, maxTerms) : maxTerms;
    if (chosen.length >= limit) break;
  }
  return chosen.slice(0, chosen.some((c) => c.includes(" ")) ? Math.min(2, maxTerms) : maxTerms).join(", ");
}
