import { contentStems } from "./keywords.ts";
import { KNOWLEDGE_ISSUES, type KnowledgeIssue } from "./knowledge.ts";

/**
 * Words people use for each issue of the knowledge base, so `GET /v1/psychology/techniques?issue=` can
 * take free text ("overthinking", "can't sleep") and answer for the closest issue it knows.
 */
const ISSUE_SYNONYMS: Readonly<Record<KnowledgeIssue, readonly string[]>> = {
  anxiety: [
    "anxious",
    "nervous",
    "nerves",
    "fear",
    "fearful",
    "scared",
    "afraid",
    "apprehensive",
    "uneasy",
    "jittery",
    "on edge",
    "phobia",
    "social anxiety",
    "health anxiety",
  ],
  worry: ["worried", "fret", "dread", "what if", "catastrophising", "catastrophizing"],
  panic: ["panic attack", "panicking", "panicky", "hyperventilating", "heart racing"],
  rumination: [
    "ruminate",
    "overthinking",
    "overthink",
    "brooding",
    "brood",
    "dwelling",
    "dwell",
    "replaying",
    "racing thoughts",
    "obsessing",
    "going over",
  ],
  "low-mood": [
    "depression",
    "depressed",
    "sad",
    "sadness",
    "feeling down",
    "feeling low",
    "unhappy",
    "hopeless",
    "hopelessness",
    "empty",
    "numb",
    "melancholy",
    "gloomy",
    "miserable",
  ],
  stress: ["stressed", "stressful", "pressure", "tense", "tension", "strain"],
  anger: [
    "angry",
    "rage",
    "furious",
    "irritable",
    "irritated",
    "irritability",
    "annoyed",
    "frustrated",
    "frustration",
    "resentment",
    "resentful",
    "temper",
  ],
  overwhelm: ["overwhelmed", "overwhelming", "too much", "swamped", "overloaded", "overload", "drowning"],
  insomnia: [
    "sleep",
    "sleepless",
    "sleeplessness",
    "cant sleep",
    "cannot sleep",
    "awake at night",
    "sleep problems",
  ],
  loneliness: ["lonely", "alone", "isolated", "isolation", "disconnected", "no friends"],
  relationships: [
    "relationship",
    "partner",
    "marriage",
    "conflict",
    "argument",
    "breakup",
    "break up",
    "family",
    "friendship",
    "dating",
    "divorce",
  ],
  grief: ["grieving", "loss", "bereavement", "bereaved", "mourning", "death", "passed away"],
  procrastination: ["procrastinate", "putting off", "avoidance", "avoiding", "delaying"],
  motivation: ["unmotivated", "no motivation", "lazy", "apathy", "apathetic"],
  habits: ["habit", "routine", "consistency", "discipline"],
  "self-criticism": [
    "self critical",
    "inner critic",
    "hard on myself",
    "self blame",
    "guilt",
    "shame",
    "beating myself up",
  ],
  perfectionism: ["perfectionist", "high standards", "fear of failure"],
  "low-self-esteem": [
    "self esteem",
    "self worth",
    "worthless",
    "insecure",
    "insecurity",
    "not good enough",
    "low confidence",
    "confidence",
    "imposter",
    "impostor",
  ],
  burnout: ["burned out", "burnt out", "exhausted", "exhaustion", "drained", "worn out"],
  crisis: ["suicidal", "suicide", "self harm", "want to die", "kill myself", "emergency"],
  trauma: ["traumatic", "traumatised", "traumatized", "ptsd", "flashback", "abuse"],
  wellbeing: [
    "well being",
    "happiness",
    "happy",
    "gratitude",
    "flourishing",
    "thriving",
    "resilience",
    "self care",
  ],
};

/**
 * How the text was matched: the issue's own name, a word for it, or a near spelling of either; failing
 * those, `nearest` (words it shares with the passages' titles and techniques) or `default`.
 */
export type IssueMatchKind = "issue" | "synonym" | "spelling" | "nearest" | "default";

export interface IssueMatch {
  issue: KnowledgeIssue;
  by: IssueMatchKind;
  /** The known word or phrase the text matched. */
  term: string;
}

/** Lower case, letters and digits only, apostrophes dropped ("can't" → "cant"), single spaces. */
function words(text: string): string[] {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/['’]/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** A light English stem, enough for plurals and verb forms ("worries", "worried" → "worry"). */
function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("ied")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  else if (w.length > 4 && /(ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us")) w = w.slice(0, -1);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

interface Term {
  issue: KnowledgeIssue;
  by: "issue" | "synonym";
  text: string;
  stems: string[];
}

const TERMS: readonly Term[] = KNOWLEDGE_ISSUES.flatMap((issue) => [
  { issue, by: "issue" as const, text: issue, stems: words(issue).map(stem) },
  ...ISSUE_SYNONYMS[issue].map((text) => ({
    issue,
    by: "synonym" as const,
    text,
    stems: words(text).map(stem),
  })),
]);

function containsRun(haystack: readonly string[], needle: readonly string[]): number {
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((part, j) => haystack[i + j] === part)) return i;
  }
  return -1;
}

/** Edit distance with adjacent transpositions ("anxeity" is one edit from "anxiety"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The issue a free text names. Known words and phrases anywhere in the text win, the longest (most
 * specific) first, then the earliest, an issue's own name before a synonym of the same length; failing
 * those, a word within one typo (two for words of eight letters or more) of a known single word. Null
 * when nothing is close: `nearestKnowledgeIssue` then answers.
 */
export function matchKnowledgeIssue(text: string): IssueMatch | null {
  const stems = words(text).map(stem);
  if (stems.length === 0) return null;
  let best: { term: Term; at: number } | undefined;
  for (const term of TERMS) {
    const at = containsRun(stems, term.stems);
    if (at === -1) continue;
    const better =
      !best ||
      term.stems.length > best.term.stems.length ||
      (term.stems.length === best.term.stems.length &&
        (at < best.at || (at === best.at && term.by === "issue" && best.term.by === "synonym")));
    if (better) best = { term, at };
  }
  if (best) return { issue: best.term.issue, by: best.term.by, term: best.term.text };

  let near: { term: Term; distance: number } | undefined;
  for (const word of words(text)) {
    if (word.length < 4) continue;
    for (const term of TERMS) {
      if (term.stems.length !== 1 || term.text.length < 4) continue;
      const distance = editDistance(word, term.text);
      const allowed = Math.max(word.length, term.text.length) >= 8 ? 2 : 1;
      if (distance <= allowed && (!near || distance < near.distance)) near = { term, distance };
    }
  }
  return near ? { issue: near.term.issue, by: "spelling", term: near.term.text } : null;
}

/** The issue a text that names none is given: general, evidence-based practices for feeling well. */
export const DEFAULT_KNOWLEDGE_ISSUE: KnowledgeIssue = "wellbeing";

/** What the fallback reads of each passage: its title, its techniques and the issues it applies to. */
export interface IssuePassage {
  title: string;
  techniques: readonly string[];
  applications: readonly KnowledgeIssue[];
}

/**
 * The closest issue for a text no name, word or spelling matched, so free text always gets techniques.
 * Each issue scores the content words (stopwords left out, plurals folded) the text shares with the
 * titles and technique names of the passages that apply to it, summed over those passages; the highest
 * score wins, a tie going to the issue listed first in `KNOWLEDGE_ISSUES`. `term` names the shared words.
 * A text that shares no word with any passage gets `DEFAULT_KNOWLEDGE_ISSUE`, said as `by: "default"`.
 */
export function nearestKnowledgeIssue(text: string, passages: readonly IssuePassage[]): IssueMatch {
  const stems = contentStems(text);
  const scores = new Map<KnowledgeIssue, { score: number; shared: Set<string> }>();
  for (const passage of passages) {
    const own = contentStems(`${passage.title} ${passage.techniques.join(" ")}`);
    const shared = [...stems].filter((s) => own.has(s));
    if (shared.length === 0) continue;
    for (const issue of passage.applications) {
      const entry = scores.get(issue) ?? { score: 0, shared: new Set<string>() };
      entry.score += shared.length;
      for (const s of shared) entry.shared.add(s);
      scores.set(issue, entry);
    }
  }
  let best: { issue: KnowledgeIssue; score: number; shared: Set<string> } | undefined;
  for (const issue of KNOWLEDGE_ISSUES) {
    const entry = scores.get(issue);
    if (entry && (!best || entry.score > best.score)) best = { issue, ...entry };
  }
  if (!best) return { issue: DEFAULT_KNOWLEDGE_ISSUE, by: "default", term: DEFAULT_KNOWLEDGE_ISSUE };
  return { issue: best.issue, by: "nearest", term: [...best.shared].sort().join(" ") };
}
