import { z } from "zod";

/**
 * Crisis-risk detection for journal text: deterministic rules and patterns, no model, so it behaves the
 * same on the edge (workerd) and on every node, and its decisions can be read and tested line by line.
 * It is a safety net that points people to help, not a diagnosis.
 */

export const SAFETY_LEVELS = ["none", "low", "moderate", "high", "critical"] as const;
export const safetyLevelSchema = z.enum(SAFETY_LEVELS);
export type SafetyLevel = z.infer<typeof safetyLevelSchema>;

export const safetyCategories = ["suicidal_ideation", "self_harm", "abuse", "acute_distress"] as const;
export type SafetyCategory = (typeof safetyCategories)[number];

export const safetyResourceSchema = z.object({
  name: z.string(),
  region: z.string(),
  contact: z.string(),
  url: z.url().optional(),
});
export type SafetyResource = z.infer<typeof safetyResourceSchema>;

export const safetyResultSchema = z.object({
  level: safetyLevelSchema,
  /** Why, in the project's words; never a quote of the text. */
  reasons: z.array(z.string()),
  categories: z.array(z.enum(safetyCategories)).optional(),
  /** Present from `moderate` up: where to find help now. */
  resources: z.array(safetyResourceSchema).optional(),
});
export type SafetyResult = z.infer<typeof safetyResultSchema>;

export const CRISIS_RESOURCES: readonly SafetyResource[] = [
  {
    name: "Emergency services",
    region: "Everywhere",
    contact:
      "If you are in immediate danger, call your local emergency number (911 in the US, 999 in the UK, 112 in the EU)",
  },
  {
    name: "988 Suicide & Crisis Lifeline",
    region: "United States",
    contact: "Call or text 988",
    url: "https://988lifeline.org",
  },
  {
    name: "Samaritans",
    region: "United Kingdom and Ireland",
    contact: "Call 116 123 (free, 24 hours)",
    url: "https://www.samaritans.org",
  },
  {
    name: "Find A Helpline",
    region: "International",
    contact: "Free, confidential helplines in your country",
    url: "https://findahelpline.com",
  },
];

export const ABUSE_RESOURCES: readonly SafetyResource[] = [
  {
    name: "National Domestic Violence Hotline",
    region: "United States",
    contact: "Call 1-800-799-7233 or text START to 88788",
    url: "https://www.thehotline.org",
  },
  {
    name: "National Domestic Abuse Helpline (Refuge)",
    region: "United Kingdom",
    contact: "Call 0808 2000 247 (free, 24 hours)",
    url: "https://www.nationaldahelpline.org.uk",
  },
];

interface Rule {
  category: SafetyCategory;
  level: Exclude<SafetyLevel, "none">;
  reason: string;
  pattern: RegExp;
  /** A negation just before the match ("I would never hurt myself") cancels it. */
  negatable: boolean;
}

const SELF = "(?:myself|my self)";
const rules: readonly Rule[] = [
  // Plans, means, timing, goodbyes: the signals that make a crisis acute.
  {
    category: "suicidal_ideation",
    level: "critical",
    reason: "describes a plan or intent to end their life",
    pattern: new RegExp(
      String.raw`\b(?:i(?: am|'m)? (?:going to|gonna)|i will|i'll|i(?: have|'ve)? decided to|i(?: am|'m)? planning to|i plan to)\s+(?:kill ${SELF}|end (?:it all|my life|everything)|take my (?:own )?life|commit suicide)`,
    ),
    negatable: true,
  },
  {
    category: "suicidal_ideation",
    level: "critical",
    reason: "mentions a suicide note or a final goodbye",
    pattern:
      /\b(?:suicide note|goodbye (?:letter|note)s?|(?:this is|this will be) my last (?:entry|post|day|night))\b/,
    negatable: true,
  },
  // Active suicidal ideation.
  {
    category: "suicidal_ideation",
    level: "high",
    reason: "expresses a wish to die or to kill themselves",
    pattern: new RegExp(
      String.raw`\b(?:(?:want|wanna|wanted|wish|going|ready|trying) (?:to )?(?:die|be dead|kill ${SELF}|end (?:it all|my life))|kill(?:ing)? ${SELF}|end(?:ing)? my (?:own )?life|take my (?:own )?life|wish i (?:was|were) dead|better off dead|suicidal|suicide|end it all)\b`,
    ),
    negatable: true,
  },
  {
    category: "suicidal_ideation",
    level: "high",
    reason: "says they do not want to live",
    pattern:
      /\b(?:do not|don't|dont|no longer) want to (?:live|be alive|exist|be here)(?: anymore| any more)?\b|\bno reason to (?:live|go on|keep going)\b|\b(?:better off|happier) without me\b/,
    negatable: false,
  },
  // Passive ideation.
  {
    category: "suicidal_ideation",
    level: "moderate",
    reason: "expresses passive thoughts of not being alive",
    pattern:
      /\b(?:wish i could (?:disappear|vanish|sleep forever|just stop existing)|wish i (?:was|were|had) (?:never|not) (?:been )?born|wish i (?:wasn't|weren't) (?:alive|here)|(?:do not|don't|dont) want to wake up|what(?:'s| is) the point (?:of|in) (?:living|life|going on)|nothing (?:left )?to live for|can(?:'t|not) go on)\b/,
    negatable: false,
  },
  // Self-harm.
  {
    category: "self_harm",
    level: "high",
    reason: "describes harming themselves",
    pattern: new RegExp(
      String.raw`\b(?:cut|cutting|burned|burnt|burning|hurt|hurting|harmed|harming|hit|hitting|starving|punished|punishing) ${SELF}\b|\bself[- ]?harm(?:ed|ing)?\b`,
    ),
    negatable: true,
  },
  {
    category: "self_harm",
    level: "moderate",
    reason: "describes an urge to harm themselves",
    pattern: new RegExp(
      String.raw`\b(?:urge|urges|tempted|want|wanted|wanna) (?:to )?(?:cut|hurt|harm|burn) ${SELF}?`,
    ),
    negatable: true,
  },
  // Abuse.
  {
    category: "abuse",
    level: "high",
    reason: "describes a threat to their life or being choked",
    pattern:
      /\b(?:threatened to kill me|(?:going|gonna) to kill me|choked me|strangled me|afraid for my life|fear for my life)\b/,
    negatable: true,
  },
  {
    category: "abuse",
    level: "moderate",
    reason: "describes being hurt or abused by someone",
    pattern:
      /\b(?:he|she|they|my (?:partner|husband|wife|boyfriend|girlfriend|ex|father|mother|dad|mum|mom|stepdad|stepfather|stepmother|brother|sister|uncle|boss|coach))\s+(?:hits|hit|beats|beat|kicked|kicks|slapped|slaps|punched|punches|shoved|pushed|raped|abuses|abused|assaulted|molested|touched) me\b|\b(?:being|been|was|got) (?:abused|raped|molested|sexually assaulted|beaten)\b|\babusive (?:relationship|partner|husband|wife|boyfriend|girlfriend|parent|father|mother)\b/,
    negatable: true,
  },
  // Acute distress.
  {
    category: "acute_distress",
    level: "low",
    reason: "describes acute distress",
    pattern:
      /\b(?:panic attacks?|can(?:'t|not) breathe|can(?:'t|not) stop crying|(?:feel|feeling|am|i'm) (?:so |completely |totally )?(?:hopeless|worthless|desperate)|falling apart|breaking down|can(?:'t|not) (?:take|handle|cope with) (?:it|this) any ?more|unbearable)\b/,
    negatable: true,
  },
];

const protectiveFactors: readonly { reason: string; pattern: RegExp }[] = [
  {
    reason: "is talking to someone or getting help",
    pattern:
      /\b(?:talked|talking|spoke|speaking|called|texted|reached out) to (?:my |a |the )?(?:therapist|counsell?or|doctor|gp|psychiatrist|friend|family|mum|mom|dad|partner|someone|helpline|hotline|crisis line|988|samaritans)\b|\b(?:getting|got|seeking|asked for) help\b|\bi have a (?:therapist|counsell?or|safety plan)\b/,
  },
  {
    reason: "names reasons to live",
    pattern:
      /\b(?:my (?:kids|children|son|daughter|family|partner|dog|cat|pets?) (?:keep|keeps|need|needs) me|reasons? to (?:live|stay|keep going)|i want to (?:live|get better|stay safe))\b/,
  },
  {
    reason: "says they are safe",
    pattern: /\b(?:i(?: am|'m) safe(?: now)?|i feel safer|i(?: am|'m) not in danger)\b/,
  },
];

const NEGATION =
  /\b(?:never|not|no|don't|dont|do not|didn't|didnt|did not|wouldn't|wouldnt|would not|won't|wont|will not|isn't|am not|i'm not|nor|without)\b(?:\s+\w+){0,3}\s*$/;
/** "used to", "years ago": past experiences, written about from a safer place. */
const HISTORICAL =
  /\b(?:used to|years ago|months ago|in the past|back then|when i was (?:younger|a teenager|a kid|in school))\b/;
/** Reported speech about media: "the song says …", "a line in the film goes …". */
const MEDIA_CUE =
  /\b(?:song|lyrics?|movie|film|book|novel|poem|show|series|character|quote|line|title|album|track|meme)\b[^.!?]{0,40}\b(?:says|said|goes|went|sings|sang|reads|read|called|titled|quoted|about)\b/;
/** Figures of speech that contain risk words but mean nothing of the kind. */
const IDIOMS =
  /\b(?:dying to|died laughing|nearly died of|could have died of|die of (?:boredom|embarrassment|shame)|to die for|killing it|killed it|kill(?:ing)? myself laughing|could kill (?:him|her|them|for)|kill me now)\b/g;

const LEVEL_ORDER: Readonly<Record<SafetyLevel, number>> = {
  none: 0,
  low: 1,
  moderate: 2,
  high: 3,
  critical: 4,
};
const lower = (level: SafetyLevel): SafetyLevel => {
  if (level === "critical" || level === "none" || level === "low") return level;
  return level === "high" ? "moderate" : "low";
};

/** Removes quoted passages: words someone else wrote or said are not the writer's own state. */
function stripQuotes(text: string): string {
  return text
    .replace(/"[^"\n]{1,400}"/g, " ")
    .replace(/(^|[\s([{:])'(?!(?:s|t|m|re|ve|ll|d)\b)[^\n]{1,400}?'(?![a-z])/g, "$1 ");
}

function normalise(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[ \t]+/g, " ");
}

/** Assesses one text. Same input, same answer; nothing is logged or stored. */
export function assessSafety(text: string): SafetyResult {
  const cleaned = stripQuotes(normalise(text)).replace(IDIOMS, " ");
  const sentences = cleaned
    .split(/[.!?\n;]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

  let level: SafetyLevel = "none";
  const reasons = new Set<string>();
  const categories = new Set<SafetyCategory>();
  for (const sentence of sentences) {
    const historical = HISTORICAL.test(sentence);
    for (const rule of rules) {
      const match = rule.pattern.exec(sentence);
      if (!match) continue;
      const before = sentence.slice(0, match.index);
      if (rule.negatable && NEGATION.test(before)) continue;
      if (MEDIA_CUE.test(before)) continue;
      const ruleLevel = historical ? "low" : rule.level;
      if (LEVEL_ORDER[ruleLevel] > LEVEL_ORDER[level]) level = ruleLevel;
      reasons.add(historical ? `${rule.reason} (in the past)` : rule.reason);
      categories.add(rule.category);
    }
  }
  if (level === "none") return { level, reasons: [] };

  const protective = protectiveFactors.filter((factor) => factor.pattern.test(cleaned));
  if (protective.length > 0) {
    level = lower(level);
    for (const factor of protective) reasons.add(`protective factor: ${factor.reason}`);
  }

  const result: SafetyResult = { level, reasons: [...reasons], categories: [...categories] };
  if (LEVEL_ORDER[level] >= LEVEL_ORDER.moderate) {
    result.resources = [...CRISIS_RESOURCES, ...(categories.has("abuse") ? ABUSE_RESOURCES : [])];
  }
  return result;
}
