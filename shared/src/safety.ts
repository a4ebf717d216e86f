import { z } from "zod";
import { LEXICAL_MODEL, lexicalProbability, lexicalTokens } from "./safety-lexical.ts";

/**
 * Crisis-risk assessment for journal text and chat messages, modelled on the categories of the Columbia
 * Suicide Severity Rating Scale (C-SSRS): the text is read for signals (passive and active ideation,
 * intent, plan, method or means, preparatory acts, timing, past attempts, self-harm, abuse, protective
 * factors) and the level is a documented function of the signals found (`levelFromSignals`, and
 * docs/safety.md). Pure TypeScript with no runtime dependencies, so the edge (workerd) and every node give the
 * same answer. A lexical reader (`safety-lexical.ts`, weights trained on the project's crisis set) reads the
 * whole text for wording the rules never saw; a node adds meaning on top (a prototype bank matched with its sentence encoder) and feeds
 * what it finds through the same level function. A safety net that points people to help, not a diagnosis.
 */

export const SAFETY_LEVELS = ["none", "low", "moderate", "high", "critical"] as const;
export const safetyLevelSchema = z.enum(SAFETY_LEVELS);
export type SafetyLevel = z.infer<typeof safetyLevelSchema>;

export const safetyCategories = ["suicidal_ideation", "self_harm", "abuse", "acute_distress"] as const;
export type SafetyCategory = (typeof safetyCategories)[number];

/** The C-SSRS-style signals the assessment looks for (the same names as the crisis evaluation set). */
export const SAFETY_SIGNALS = [
  "passive_ideation",
  "active_ideation",
  "intent",
  "plan",
  "means",
  "preparatory",
  "timing",
  "past_attempt",
  "self_harm",
  "self_harm_urge",
  "abuse",
  "abuse_threat",
  "distress",
  "history",
  "protective",
] as const;
export const safetySignalSchema = z.enum(SAFETY_SIGNALS);
export type SafetySignal = z.infer<typeof safetySignalSchema>;

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
  /** The signals the level was derived from. */
  signals: z.array(safetySignalSchema).optional(),
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

const LEVEL_ORDER: Readonly<Record<SafetyLevel, number>> = {
  none: 0,
  low: 1,
  moderate: 2,
  high: 3,
  critical: 4,
};

export function maxLevel(a: SafetyLevel, b: SafetyLevel): SafetyLevel {
  return LEVEL_ORDER[a] >= LEVEL_ORDER[b] ? a : b;
}

export function levelAtLeast(level: SafetyLevel, floor: SafetyLevel): boolean {
  return LEVEL_ORDER[level] >= LEVEL_ORDER[floor];
}

// ---------------------------------------------------------------------------------------------------
// Normalisation: one spelling for the many ways people type the same words at their worst.

/** Whole-word rewrites, applied in order on lower-cased text. */
const SPELLINGS: readonly [RegExp, string][] = [
  [/[\u2018\u2019\u02bc`´]/g, "'"],
  [/[\u201c\u201d\u201e«»]/g, '"'],
  [/[\u2013\u2014]/g, " - "],
  [/\bi\s*'\s*m\b|\bim\b/g, "i am"],
  [/\bi\s*'\s*ve\b|\bive\b/g, "i have"],
  [/\bi\s*'\s*ll\b/g, "i will"],
  [
    /\bill (?=(?:just |never |finally |really |actually |not |be |do |go |take |end |make |jump |write |leave |say |give |try |get |have |kill |see |miss |stop |need )\b)/g,
    "i will ",
  ],
  [/\bi\s*'\s*d\b/g, "i would"],
  [/\bid (?=(?:rather|be|never|just|do|have|like|love|kill|die|want|need)\b)/g, "i would "],
  [/\bwanna\b/g, "want to"],
  [/\bwantto\b/g, "want to"],
  [/\bgonna\b|\bgunna\b|\bfinna\b/g, "going to"],
  [/\bgotta\b/g, "got to"],
  [/\btryna\b/g, "trying to"],
  [/\bhafta\b/g, "have to"],
  [/\b(do|does|did|is|are|was|were|have|has|had|would|could|should|must)n\s*'?\s*t\b/g, "$1 not"],
  [/\bcan\s*'?\s*t\b|\bcan not\b/g, "cannot"],
  [/\bwon\s*'?\s*t\b/g, "will not"],
  [/\bshan\s*'?\s*t\b/g, "shall not"],
  [/\bain\s*'?\s*t\b/g, "am not"],
  [/\b(it|that|there|what|here|who|she|he)\s*'\s*s\b/g, "$1 is"],
  [/\b(thats|theres|whats|heres)\b/g, "$1-is"],
  [/\bthats-is\b/g, "that is"],
  [/\btheres-is\b/g, "there is"],
  [/\bwhats-is\b/g, "what is"],
  [/\bheres-is\b/g, "here is"],
  [/\b(they|we|you)\s*'\s*re\b/g, "$1 are"],
  [/\b(they|we|you|she|he)\s*'\s*ll\b/g, "$1 will"],
  [/\b(they|we|you|she|he)\s*'\s*d\b/g, "$1 would"],
  [/\b(they|we|you)\s*'\s*ve\b/g, "$1 have"],
  [/\bu\b/g, "you"],
  [/\bur\b/g, "your"],
  [/\b(?:cuz|coz|cos|bc|b\/c)\b/g, "because"],
  [/\brn\b/g, "right now"],
  [/\btho\b/g, "though"],
  [/\b(?:tonite|tonight|2nite|2night|tonght|tonigt|tonihgt|toniht|tonigth)\b/g, "tonight"],
  [
    /\b(?:tmrw|tmr|tmrow|tmoz|tomoz|tomoro|tomorow|tommorow|tommorrow|tomorrrow|2moro|2morrow|2mrw)\b/g,
    "tomorrow",
  ],
  [/\b(?:wknd|weeknd)\b/g, "weekend"],
  [/\b(?:pils|pilz|pillz|pillls|pils)\b/g, "pills"],
  [/\btablests\b|\btabs\b/g, "tablets"],
  [/\b(?:myslef|myslf|mysefl|mself|meself|myelf|my self)\b/g, "myself"],
  [/\b(?:sucide|suicde|suiside|suicid|sucicide|suicied|suicde)\b/g, "suicide"],
  [/\b(?:sucidal|suicdal|suicidel|suisidal|suicidle)\b/g, "suicidal"],
  [/\b(?:kms)\b/g, "kill myself"],
  [/\bunalive(?:d)? myself\b|\bself[- ]?delete\b|\bdelete myself\b|\bsewerslide\b/g, "kill myself"],
  [/\bunaliv(?:e|ing)\b/g, "killing"],
  [/\b(?:dissapear|disapear|dissappear)\b/g, "disappear"],
  [/\bany more\b/g, "anymore"],
  [/\bgood[- ]?by(?:e)?s?\b/g, "goodbye"],
  [/\b(?:o\.d\.|o\.d|od'd|oded|od)\b/g, "overdose"],
  [/\b(?:cuting|cuttin)\b/g, "cutting"],
  [/\b(?:wrsts|wirsts|wrist's)\b/g, "wrists"],
  [/\balot\b/g, "a lot"],
  [/\bnite\b/g, "night"],
  [/\btil\b/g, "till"],
  [/\b(?:wana|wanna|wnna)\b/g, "want to"],
  [/\b(?:evry1|every1|evry ?one|evryone)\b/g, "everyone"],
  [/[ \t]+/g, " "],
];

/** Capitalised words that are not names of people: days, months, holidays, places of worship, titles. */
const NOT_A_NAME =
  /^(?:I|I'm|I've|I'll|I'd|Im|Ive|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August|September|October|November|December|Christmas|Easter|Eid|Diwali|God|Lord|Mum|Mom|Dad|Mam|Nan|Gran|Grandad|Grandma|Grandpa|OK|Ok|TV|GP|A|An|The|And|But|So|Then|My|Me)$/;

/**
 * A capitalised word inside a sentence is usually someone's name ("then Jess said she wants to die"):
 * it becomes "someone", so the subject check knows the story is another person's.
 */
function markNames(text: string): string {
  return text.replace(/(?<=[a-z,'"] )[A-Z][a-z]+(?:'s)?\b/g, (word) => {
    const bare = word.replace(/'s$/, "");
    if (NOT_A_NAME.test(bare)) return word;
    return word.endsWith("'s") ? "someone's" : "someone";
  });
}

/** Lower case, one apostrophe, expanded contractions and common misspellings. Exported for the node. */
export function normaliseSafetyText(text: string): string {
  let out = markNames(text.normalize("NFKC")).toLowerCase();
  for (const [pattern, replacement] of SPELLINGS) out = out.replace(pattern, replacement);
  return out;
}

/** Removes quoted passages: words someone else wrote or said are not the writer's own state. */
function stripQuotes(text: string): string {
  return text
    .replace(/"[^"\n]{1,400}"/g, (m) => " ".repeat(m.length))
    .replace(/(^|[\s([{:])'(?!(?:s|t|m|re|ve|ll|d)\b)[^'\n]{4,400}?'(?![a-z])/g, (m, lead: string) =>
      lead.padEnd(m.length, " "),
    );
}

/**
 * Figures of speech that contain risk words but mean nothing of the kind; blanked before any rule runs,
 * so "this commute is killing me" or "I'd die for a coffee" never reach the ideation rules.
 */
const IDIOMS: readonly RegExp[] = [
  /\b(?:is|are|was|were|it is|this is|that is|they are|you are|heat|job|work|commute|shift|kids|feet|back|legs|knees|head|stomach|hangover|traffic|week|day|exam|exams|boss|deadline|deadlines|suspense|cold|shoes) (?:\w+ ){0,2}killing me\b/g,
  /\bkill(?:s|ing)? me now\b|\bjust kill me\b|\bshoot me now\b/g,
  /\b(?:dying|died|die) (?:to|for|of|from) (?:boredom|embarrassment|shame|laughter|laughing|cringe|curiosity|thirst|hunger|heat|the heat|a coffee|coffee|a drink|a pint|a nap|a holiday|sleep)\b/g,
  /\b(?:dying|dying for) (?:to (?:see|try|know|go|tell|meet|read|get|hear|watch|visit)|for (?:a|an|some|the|it|this|that|one))\b/g,
  /\b(?:i would|i could|would|could) (?:literally |honestly |actually |just )?(?:die|kill) for (?:a|an|some|the|that|this|one|it|him|her|them|my)\b/g,
  /\bto die for\b|\bdied laughing\b|\bdead tired\b|\bdead on my feet\b|\bdead inside lol\b|\bi am dead (?:lol|lmao|haha)\b|\bi am dead\b(?= ?(?:😂|🤣|💀))/g,
  /\b(?:kill(?:ed|ing)? it|killing time|kill time|kill (?:an|the|a few) (?:hour|hours|minutes|afternoon|evening)|killed (?:the|that) (?:mood|vibe|conversation|battery|engine|lights))\b/g,
  /\b(?:kill(?:ed|ing)? myself laughing|laughed myself (?:sick|silly|to death)|bored (?:myself )?to death|scared (?:myself )?to death|worked (?:myself )?to death|worried (?:myself )?sick)\b/g,
  /\b(?:die|dying|died) of (?:embarrassment|boredom|shame|laughter|cringe)\b|\bcould have died\b(?= (?:of|from|when|laughing))/g,
  /\boverdos(?:e|ed|ing) on (?:caffeine|coffee|sugar|chocolate|netflix|tv|television|carbs|cake|sun|work|emails|memes)\b/g,
  /\b(?:my|the|our|his|her) (?:phone|laptop|battery|car|plant|plants|computer|tv|printer|wifi|router|basil|sourdough starter) (?:\w+ ){0,2}(?:died|is dying|is dead|was dead|dies)\b/g,
  /\bend it with (?:him|her|them)\b|\bend (?:things|it) (?:with|between) (?:\w+ ){0,2}(?:him|her|them|us|my)\b/g,
  /\b(?:want|wanted|going|gonna|could|would|will) (?:to )?kill (?:him|her|them|you|my (?:brother|sister|boss|flatmate|roommate|husband|wife|partner|mum|mom|dad|kids|son|daughter|neighbou?r|cat|dog))\b(?! myself)/g,
  /\bdeadline(?:s)?\b|\bdeadlift(?:s|ing)?\b|\bdead ?end\b|\bdead (?:battery|phone|plant|tired|serious|set|heat|last|quiet|easy|good|funny|boring)\b/g,
  /\b(?:cut|cutting) (?:my |the |a |his |her )?(?:hair|fringe|nails|losses|ties|corners|back|down|out|class|carbs|sugar|cake|bread|onions?|grass|lawn|hedge|price|costs?|budget|deal)\b/g,
  /\bcut myself (?:a|some|another) (?:slice|piece|break)\b/g,
  /\bjump(?:ed|ing)? (?:off|from|into) (?:the )?(?:diving board|boat|pier into the (?:sea|water)|high board|rocks into|plane|a plane)\b|\bbungee\b|\bskydiv\w*/g,
  /\bhang(?:ing|ed)? out\b|\bhang(?:ing|ed)? (?:up|on|in there|the washing|washing|pictures|a picture|the picture|a shelf|curtains)\b/g,
  /\b(?:hungover|hangover|embarrassed|mortified|bored|stuffed|so full|cringing|cringed|awkward|sunburnt)\b[^.!?\n]{0,30}\b(?:wanted|want|could|would|was going|thought i was going) to (?:just )?die\b/g,
  /\bwanted the (?:ground|floor|earth) to swallow me\b/g,
  /\b(?:pain|agony|migraine|kidney stones?|labour|contractions|toothache|period pains?|cramps|food poisoning|flu|fever|hangover|seasick|sea ?sickness)\b[^\n]{0,80}?\b(?:wanted|want|could|would|thought i would|thought i was going) to (?:just )?die\b/g,
  /\bdead (?:asleep|to the world)\b/g,
  /\bjump(?:ed|ing|s)? (?:off|from) (?:the )?(?:bridge|pier|rocks?|cliffs?|jetty|harbour wall|boat) into (?:the )?(?:water|river|sea|lake|pool|harbour)\b/g,
  /\bthe last (?:straw|minute)\b|\bdrowning in (?:work|paperwork|emails|laundry|marking|admin)\b/g,
  /\bkiller (?:workout|headache|migraine|playlist|heels|app|feature)\b|\bsuicide (?:squad|run|runs|sprints|drills|doors|blonde)\b/g,
];

function stripIdioms(text: string): string {
  let out = text;
  for (const idiom of IDIOMS) out = out.replace(idiom, (m) => " ".repeat(m.length));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Signal rules.

type Kind =
  /** A signal about the writer's own present state; negation, others' stories, fiction and the past cancel it. */
  | "self"
  /** Abuse: the subject is someone else by nature, so a third-person subject does not cancel it. */
  | "abuse"
  /** Protective factors, timing: context words, counted as written. */
  | "context";

interface SignalRule {
  signal: SafetySignal;
  reason: string;
  pattern: RegExp;
  kind: Kind;
  /** The pattern already contains its own negation ("I do not want to live"): a negation does not cancel it. */
  negated?: boolean;
  /** Words right after a match that undo it ("killing myself was never an option", "end it with him"). */
  unless?: RegExp;
  /**
   * A cue that is everyday on its own (giving things away, saying goodbye, "my mind is made up", counting
   * something): it counts only when another risk signal or a second, different weak cue is in the text.
   */
  weak?: boolean;
}

const SELF = "myself";
const re = (source: string) => new RegExp(source, "g");

const PILLS = `(?:pills|tablets|meds|medication|medicine|sleeping pills|sleepers|paracetamol|tylenol|acetaminophen|ibuprofen|painkillers|pain killers|antidepressants|insulin|co-codamol|codeine|opioids|oxy|oxys|xanax|benzos|diazepam|lithium|sertraline|prescriptions?|them all|the lot)`;
const ENDING = `(?:kill ${SELF}|end (?:it all|it|my life|my own life|everything|things|this|my suffering)|take my (?:own )?life|die|be dead|not be here|not exist|not wake up|stop living|go through with it|do it|hang ${SELF}|drown ${SELF}|shoot ${SELF}|jump|overdose|off ${SELF})`;
const WEEKDAY = `(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|weds|thurs|fri|sat|sun)`;

const RULES: readonly SignalRule[] = [
  // --- Intent: the writer says they will act.
  {
    signal: "intent",
    reason: "states an intent to end their life",
    kind: "self",
    pattern: re(
      String.raw`\b(?:i am|i will|i shall|i have|i|going to)\s+(?:(?!not |never )\w+ ){0,2}?(?:going to|decided to|planning to|plan to|intend to|ready to|about to|finally going to|gonna|determined to|set on|made up my mind to|choosing to|going through with)\s+(?:\w+ ){0,2}?${ENDING}\b`,
    ),
    unless:
      /^\s*(?:\w+ ){0,1}(?:of|from|with|laughing|for a|for some|on|at work|this (?:project|essay|report))\b/,
  },
  {
    signal: "intent",
    reason: "states an intent to end their life",
    kind: "self",
    pattern: re(
      String.raw`\bi (?:will|shall|am going to|am) (?:finally |just |actually |really )?(?:kill ${SELF}|end (?:it all|my life|my own life)|take my (?:own )?life|hang ${SELF}|drown ${SELF}|shoot ${SELF})\b`,
    ),
  },
  {
    signal: "intent",
    reason: "says they will not be alive or around for long",
    kind: "self",
    negated: true,
    pattern: re(
      String.raw`\b(?:i )?(?:will|shall|am going to|am) not (?:be )?(?:here|around|alive|seeing|see|make it to|making it to|last|be a burden|be a problem|bother anyone)(?: \w+){0,2}? (?:tomorrow|by|next|much longer|for long|after|anymore|the morning|morning|monday|tuesday|wednesday|thursday|friday|saturday|sunday|christmas|the weekend|my birthday|long)\b|\bwill not be (?:a burden|a problem|here|around) (?:much |for )?(?:longer|long)\b|\bnot going to be (?:here|around) (?:much |for )?(?:longer|long|tomorrow)\b|\bi shall not be seeing\b`,
    ),
  },
  {
    signal: "intent",
    reason: "writes a final entry or message",
    kind: "self",
    pattern: re(
      String.raw`\b(?:this is|this will be|this is going to be|it is|that was|here is) (?:my |the )?(?:very )?(?:last|final) (?:entry|post|page|thing i write|time i (?:will )?write|words|message|goodbye|day|night)\b|\b(?:my|the) (?:last|final) (?:entry|words)\b`,
    ),
    unless:
      /^\s*(?:(?:of|for|in|on) (?:the|this|my|that) (?:year|month|week|term|semester|course|trip|holiday|book|notebook|journal|diary|app|blog|page|series|challenge)|before (?:the|my|we) (?:move|holiday|trip|break))\b/,
  },
  {
    signal: "intent",
    reason: "says the act is decided or imminent",
    kind: "self",
    pattern: re(
      String.raw`\b(?:tonight|today|tomorrow|this weekend|it) (?:is|will be) the (?:night|day)\b|\bi am (?:done|finished) (?:with (?:life|living|everything|it all|this world|being alive)|for good)\b|\bit (?:all )?(?:ends|will end|finishes) (?:tonight|today|tomorrow|soon|this week|on \w+)\b|\btonight i (?:finish|end|go)\b|\bi am coming,? \w+\b|\bsee you (?:soon|on the other side),? (?:mum|mom|dad|gran|grandad|nan)\b|\b(?:will not|am not going to|do not|will never) (?:need|be needing|have to (?:face|see|deal with)) (?:\w+ ){0,2}(?:after (?:tonight|today|tomorrow|this|that|the|next|\w+day)|anymore|ever again)\b|\bnot going to need (?:\w+ ){0,2}(?:after|anymore)\b|\bwill not be (?:there|here|around) to (?:see|read|hear|find|open|answer)\b|\bnot waking up (?:tomorrow|again|this time)\b|\b(?:none of it|nothing|it) (?:will )?(?:matters?|matter) (?:after|anymore after) (?:tonight|today|tomorrow|this|\w+day)\b|\bafter \w+ none of it matters\b|\bsomething (?:is going to|will) happen to me\b|\bnext time i would (?:take|do|go|cut) (?:more|deeper|further|it properly)\b|\bnot (?:coming|going) back (?:from (?:it|this|there)|down|up|home)\b`,
    ),
  },
  {
    signal: "intent",
    reason: "says their mind is made up",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:i have |i |my )?(?:made up my mind|minds? (?:is )?made up|made my decision|decided|at peace with (?:it|dying|my decision|the decision|this))\b(?! (?:to|on|about|what|which|whether|that i (?:want|need|like))\b)|\bno turning back\b|\b(?:i )?(?:do not|will not|am not going to) turn back\b|\b(?:ok(?:ay)? )?so this is it\b|\bthis is it\W*$|\bi am done\W*$|\bdone\W*$|\bso (?:someone|somebody) knows\b|\b(?:sorry|i am sorry) (?:for everything|to everyone|for all of it|for what)\b|\bthank(?:s| you) for everything\b|\b(?:i am )?(?:never|not) coming back\b|\bone[- ]way ticket\b|\bby \w+ i will be gone\b|\bwill be gone (?:by|before|after)\b|\btied up\b(?= [^\n]{0,200}?\b(?:easier|everyone|for good)\b)`,
    ),
  },
  // --- Plan.
  {
    signal: "plan",
    reason: "describes a plan for how or when",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:i have|i have got|i got|i have made|i made|there is) (?:a |the )?plan\b|\b(?:my|the) plan (?:is|was|for)\b|\b(?:i have |i )?(?:planned|worked out|figured out|picked|chosen|chose) (?:exactly )?(?:how|when|where|the (?:day|date|place|spot|time|way|method)|a (?:day|date|place|spot|time|way))\b|\bset a date\b|\bhow i (?:would|will|am going to|could) do it\b|\bworking out how (?:i would|i will|i could|to) do it\b`,
    ),
    unless:
      /^\s*(?:to (?:get|make|fix|finish|pay|save|move|learn|start|cook)|(?:the )?(?:recipe|route|budget|itinerary|meeting|project|essay|report|party|trip|holiday|wedding|workout))\b/,
  },
  {
    signal: "plan",
    reason: "thinks about how they would do it",
    kind: "self",
    pattern: re(
      String.raw`\bhow i would (?:actually |really )?(?:go about it|do it|go|end it|make it quick)\b|\bknow (?:exactly )?(?:how|when|where) i (?:am going to|will|would) (?:do it|go|end it)\b|\bhow to make it (?:quicker|quick|faster|painless)\b|\b(?:picked|chosen|chose) (?:the|a) (?:spot|place|day|date) (?:for it|already)\b`,
    ),
  },
  // --- Means: a method, in the words people use for the act, not for everyday life.
  {
    signal: "means",
    reason: "mentions gathering or having the means",
    kind: "self",
    pattern: re(
      String.raw`\b(?:saved|saving|save|stockpiled|stockpiling|collected|collecting|hoarded|hoarding|stashed|stashing|kept back|keeping back|putting by|put by|been putting|been keeping|been saving|got enough|have enough|there are enough|there is enough|enough) (?:\w+ ){0,3}?${PILLS}\b|\b${PILLS} (?:\w+ ){0,3}(?:saved|stockpiled|hidden|stashed|collected|hoarded|counted|ready|lined up|in the drawer|under (?:my|the) (?:bed|mattress|pillow))\b|\benough ${PILLS}\b|\b(?:all|whole (?:box|packet|bottle|pack) of|every one of) (?:of )?(?:my |the |those |these )?${PILLS}\b|\bthe whole (?:bottle|packet|box|pack|strip) of (?:my |the |those )?${PILLS}\b|\b(?:lethal|fatal|deadly) (?:dose|amount|quantity)\b|\bhow many (?:\w+ ){0,2}(?:it takes|it would take|would (?:do it|kill|be enough)|to (?:die|take|kill))\b|\ban overdose\b|\boverdos(?:e|ing) on (?:my |the |all )\b|\b(?:swallow|swallowed|swallowing|down|downed|neck|necked|take|took|taking) (?:them all|the lot|every single one|all of them at once|the whole lot)\b`,
    ),
    unless:
      /^\s*(?:of (?:my )?(?:vitamins|antibiotics)|as prescribed|with (?:food|water|breakfast|dinner)|(?:in|into) (?:my |the )?(?:dosette|pill organiser|pill box|organiser|blister)|(?:for|from) the (?:pharmacy|chemist))\b/,
  },
  {
    signal: "means",
    reason: "mentions a method",
    kind: "self",
    pattern: re(
      String.raw`\bnoose\b|\b(?:tie|tied|tying) (?:it|the rope|a knot|a belt|the belt|the cord) (?:to|around|over|on)\b|\b(?:hang|hanging|hanged) ${SELF}\b|\bbelt (?:around|round) my neck\b|\b(?:jump|jumping|throw ${SELF}|step|stepping|walk|walking|lie down) (?:off|from|in front of|into|onto|under) (?:the |a |that |one of the |an? )?(?:[\w.:']+ ){0,2}?(?:bridge|roof|building|cliff|tower|balcony|multi ?storey|car park|overpass|motorway|train|trains|tracks|railway|rail line|lorry|truck|bus|traffic|sea|river|lake|ocean|canal|quarry|edge|platform|window|top floor)\b|\bshoot ${SELF}\b|\b(?:slit|slash|open|cut) (?:my |both )?(?:wrists?|throat)\b|\b(?:razor|blade|knife) (?:to|across|on|against|into) (?:my )?(?:wrists?|throat|neck)\b|\b(?:drive|driving|crash|crashing|steer|steering|swerve|swerving|going straight) (?:my car |the car |the van )?(?:into|off|through) (?:a |the )?(?:tree|trees|wall|bridge|cliff|river|oncoming|lorry|barrier|central reservation|reservoir|sea)\b|\b(?:drown|drowning) ${SELF}\b|\bwalk(?:ing)? into the (?:sea|river|lake|ocean|water)\b`,
    ),
  },
  {
    signal: "means",
    reason: "mentions something that could be a method",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:the|a|bought a|got a|have a) rope\b|\brope (?:is|was|in|under|from|around|over|on)\b|\b(?:the )?(?:edge|top|railing|side) of (?:the |a )?(?:bridge|roof|building|cliff|multi ?storey|car park|tower|balcony|platform)\b|\bhigh enough\b|\b(?:my|dad's|his|the|a|grandad's|granddad's|father's) (?:gun|rifle|shotgun|pistol|revolver)\b|\b(?:loaded|load) (?:the |my )?(?:gun|rifle|shotgun|pistol)\b|\b(?:exhaust|hose ?pipe|a hose|charcoal|helium)\b|\b(?:drink|drinking|drank|swallow|swallowing|swallowed|take|taking|bought|buy|buying|got) (?:the |some |a bottle of |the bottle of )?(?:bleach|antifreeze|weed ?killer|rat poison|poison)\b`,
    ),
  },
  {
    signal: "means",
    reason: "mentions a method that is ready",
    kind: "self",
    pattern: re(
      String.raw`\bcarbon monoxide\b|\bbag over my head\b|\bthe (?:pills|tablets|rope|gun|blade|razor|noose|noose) (?:is|are) (?:\w+ ){0,2}(?:ready|waiting|in the|under|hidden|behind|in my|upstairs|downstairs)\b`,
    ),
  },
  // --- Preparatory acts.
  {
    signal: "preparatory",
    reason: "describes preparations such as notes, letters or a will",
    kind: "self",
    pattern: re(
      String.raw`\bsuicide (?:note|letter)s?\b|\bgoodbye (?:letters?|notes?|messages?|texts?|videos?|emails?|posts?)\b|\b(?:last|final) (?:letters?|notes?|messages?|words|wishes|texts?|voicemails?)\b`,
    ),
    unless:
      /^\s*(?:to|for) (?:this|the|my old|our old) (?:flat|house|home|city|job|office|team|school|year|town|country|apartment|class|students|colleagues)\b/,
  },
  {
    signal: "preparatory",
    reason: "describes writing letters or notes for people",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:wrote|written|writing|write|left|leaving|leave|finished|hid|put|drafted|drafting|recorded|recording) (?:\w+ ){0,3}?(?:letters|notes|a letter|a note|the letter|the note|the letters|the notes|a video|videos|messages) (?:for|to) (?:everyone|each|all|mum|mom|dad|my|the kids|them|her|him|whoever|whoever finds)\b|\bthe (?:notes?|letters?) (?:for \w+ )?(?:is|are) (?:in|on|under|inside|behind)\b|\b(?:a|the) (?:note|letter) (?:for|to) (?:\w+ ){0,2}(?:is|are) (?:in|on|under)\b|\b(?:finished|wrote|written|writing|sealed|addressed) (?:\w+ ){0,2}(?:letters|cards|notes)\W+(?:\w+ ){0,3}one for each\b|\b(?:leaving|left|put|putting) the (?:note|letter|letters|notes) (?:on|in|under|by|where|with)\b`,
    ),
    unless:
      /^\s*(?:to|for) (?:this|the|my old|our old) (?:flat|house|home|city|job|office|team|school|year|town|country|apartment)\b/,
  },
  {
    signal: "preparatory",
    reason: "describes putting affairs in order",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:put|putting|got|getting|sorted|sorting|have|set|setting) (?:all )?(?:my |our )?(?:affairs|things|finances|paperwork|papers|stuff|life) (?:in|into) order\b|\b(?:wrote|written|writing|made|updated|updating|finished|signed|sorted|sorting|redid|changed) (?:out )?(?:my|a|the) will\b|\b(?:the )?(?:deeds|bank papers|passwords|pin numbers|life insurance|policy documents|insurance papers)\b|\b(?:it is|everything is|its) all (?:arranged|sorted|in order|ready|set)\b|\bi have everything ready\b|\beverything (?:is )?(?:ready|arranged|sorted) (?:now|for|in)\b|\bso (?:they|nobody|no one|mum|mom|dad|\w+) (?:does not|do not|will not|would not) have to (?:break|find|decide|deal|sort|clean|pay|worry)\b|\bcancel(?:led|ed|ling|ing)? (?:the |my )?(?:dentist|gym|subscriptions?|phone contract|appointments?)\b(?= [^\n]{0,200}?\b(?:need|remember|before|so)\b)|\bleft the (?:back |front )?door (?:unlocked|open|on the latch)\b`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes giving belongings away or rehoming pets",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:gave|giving|give|given|handed|handing) (?:away )?(?:all )?(?:my|his|her|the) (?:\w+ ){0,3}?(?:away|to (?:\w+ ){0,2}(?:next door|neighbou?r|sister|brother|friend|cousin|mate|\w+))\b(?= [^\n]{0,200}?\b(?:because|said|told|so|pleased|anymore|wont|will not|need|last)\b|\W*$)|\bgiving (?:away|everything away|my things away|my stuff away)\b|\bgave (?:away|everything away|my stuff away|my things away)\b|\b(?:found|finding|find) (?:a )?(?:new )?home for (?:my |the )?(?:cat|dog|pets?|rabbit|hamster|bird|birds|fish|\w+)\b|\brehom(?:e|ed|ing) (?:my |the )?(?:cat|dog|pets?|\w+)\b|\b(?:\w+ ){0,1}(?:is going|goes|will go) to (?:my |the )?(?:sister|brother|neighbou?r|mum|mom|dad|friend|cousin|nan|gran)\b|\bwho (?:will )?(?:gets?|takes?|should have|can have) my\b|\b(?:to|for) whoever wants them\b|\bsticky notes on everything\b`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes saying goodbye",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:said|say|saying|sent|send|sending|made|make) (?:my |our |a |the )?(?:goodbyes?|farewells?)\b(?! (?:party|drinks|do|lunch|card|at (?:work|the office|the station|the airport)))|\bgoodbye (?:everyone|world|all)\b|\b(?:one|the|a) (?:last|final) (?:time|look|hug|walk|call|visit|cuddle|kiss|goodbye)\b(?! (?:before (?:the|my|we|i) (?:move|holiday|trip|leave for|flight|exam)|of the (?:season|year|term)))|\bfor the (?:last|final) time\b|\blast time (?:i will|i would|i am going to|i) (?:ever )?(?:see|hug|hear|write|talk|speak|walk)\b|\bthank you for (?:everything|listening|being there)\b.{0,40}\b(?:sorry|goodbye|last|forgive)\b|\bplease forgive me\b|\bi am sorry for (?:everything|what i am about to|what i am going to)\b|\btell (?:\w+ ){0,2}i (?:love|loved) (?:them|her|him|you)\b`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes researching a method or a place",
    kind: "self",
    pattern: re(
      String.raw`\b(?:looked up|looking up|look up|googled|googling|google|searched|searching|search|researched|researching|read up on|reading up on|reading about|read about|checked|checking|check|watched videos on|looked into|looking into|scoped out) (?:\w+ ){0,4}?(?:how many|how much|how long it takes|how high|how tall|how deep|how to (?:tie|hang|die|kill|overdose|do it|make it)|which (?:pills|tablets|meds|drugs|bridge)|what dose|what happens if you (?:take|swallow|jump)|lethal|fatal|painless|least painful|quickest way|fastest way|easiest way|the best way to (?:die|go)|the (?:bridge|roof|multi ?storey|cliff|car park|tracks|top floor)|a (?:bridge|roof|cliff|high place))\b|\bhow many (?:\w+ ){0,2}(?:it takes|it would take|are enough|would be enough|is enough)\b|\b(?:painless|quickest|fastest|easiest|surest) (?:way|method) (?:to die|to go|out)\b|\blooked over the edge\b|\bthe drop (?:is|was|would be) (?:enough|high|far)\b`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes visiting a high or dangerous place",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:went to look at|went up to|went to see|drove to|drove out to|walked to|walked up to|visited|stood on|stood at) (?:\w+ ){0,3}?(?:the |a )?(?:bridge|roof|multi ?storey|cliff|cliffs|car park|tracks|top floor|edge|railway|viaduct|quarry|platform)\b`,
    ),
    unless:
      /^\s*(?:\w+ ){0,6}(?:to (?:get|take) (?:a )?photos?|for (?:the|a) (?:view|photo|picture|sunset|sunrise)|with (?:the|my) (?:camera|kids|dog|friends))\b/,
  },
  // --- Active ideation.
  {
    signal: "active_ideation",
    reason: "expresses a wish to die or to kill themselves",
    kind: "self",
    pattern: re(
      String.raw`\b(?:want|wants|wanted|wanting|wish|wishing|need|needing|going|ready|trying|tempted|longing|itching|desperate|urge|urges|urge is|planning|thinking|thought|think|thoughts|considering|fantasi[sz]e|fantasi[sz]ing|dream|dreaming) (?:\w+ ){0,2}?(?:to |about |of )?(?:die|dying|be dead|kill ${SELF}|killing ${SELF}|end (?:it all|my life|my own life|everything|it|things|this)|ending (?:it all|my life|my own life|everything|it|things|this)|take my (?:own )?life|taking my (?:own )?life|suicide|hang(?:ing)? ${SELF}|jump(?:ing)? off|overdos(?:e|ing)|not (?:be|being) (?:alive|here) anymore|stop (?:living|existing|breathing)|join (?:him|her|them)|joining (?:him|her|them))\b`,
    ),
    unless:
      /^\s*(?:with (?:him|her|them|my)|between|of (?:boredom|embarrassment|laughter|shame)|laughing|for (?:a|an|some|the)|on (?:a|this|that) (?:high|good) note|early|soon at work|in (?:a|my) (?:game|dream)|it with|things with)\b/,
  },
  {
    signal: "active_ideation",
    reason: "talks about killing themselves or being suicidal",
    kind: "self",
    pattern: re(
      String.raw`\bsuicidal\b|\b(?:kill|killing|killed) ${SELF}\b|\b(?:end|ending) my (?:own )?life\b|\b(?:take|taking) my (?:own )?life\b|\bend it all\b|\bend it (?:tonight|today|tomorrow|now|soon|this week|this weekend)\b|\b(?:commit|committing|attempt|attempting) suicide\b|\bsuicide (?:is|feels like|seems like) (?:the|my) (?:only|best|answer|way)\b|\b(?:had|have|he had|she had) the right idea\b|\b(?:joining|join|be with) (?:him|her|them|\w+) (?:soon|again|up there|wherever)\b|\bif i had the (?:guts|nerve|courage|balls)\b|\bnot (?:brave|strong) enough to (?:do it|go through with it|end it)\b|\b(?:make|making) (?:that|it) happen (?:myself|on purpose)\b|\bwant(?:s|ed)? to (?:make|let) (?:it|that|the pain|everything) (?:stop|end) (?:for good|forever|permanently)\b|\bend (?:it|things|this) (?:for good|permanently|forever)\b|\b(?:why|how) (?:should|would|do) i (?:keep|stay) (?:living|alive|going)\b`,
    ),
    unless: /^\s*(?:laughing|with laughter|in (?:the|a) (?:game|film|movie|book|novel|story))\b/,
  },
  {
    signal: "active_ideation",
    reason: "thinks about ways of ending their life",
    kind: "self",
    pattern: re(
      String.raw`\b(?:thinking|thought|thinks|planning|researching|looking up|looked up|working out|worked out|figured out|figuring out|settled|decided on) (?:\w+ ){0,3}?(?:ways|the way|how|the how|methods?) (?:i (?:could|would|might|can|will) )?(?:to )?(?:do it|end it|finish it|end things|die|go through with it|finish my life|not wake up)\b|\b(?:idea|thought|thoughts) of (?:ending (?:it|it all|things|my life)|dying|being dead|not being here|killing ${SELF})\b(?! (?:terrifies|scares|horrifies|frightens) me)|\b(?:eat|eating|ate) (?:my|a|the) (?:gun|bullet|pistol|rifle|revolver)\b|\bfinish (?:my life|${SELF} off)\b|\bi (?:should|ought to|deserve to) (?:just )?(?:die|be dead|not be alive|not be here|not exist)\b|\bso close to (?:doing (?:it|something)|ending it|going through with it)\b|\b(?:end|ending) (?:it|it all|my life) (?:on|after|before|once|by) (?:the |my |his |her |this |next )?(?:\d+\w*|monday|tuesday|wednesday|thursday|friday|saturday|sunday|funeral|anniversary|birthday|exams?|weekend|payday|christmas|new year)\b`,
    ),
    unless:
      /^\s*(?:with (?:him|her|them)|between us|on (?:a|this|that) (?:high|good) note|better|faster|quicker|properly|right|cheaper|differently|without|at work|for (?:the|my|our|work|school|class))\b/,
  },
  {
    signal: "means",
    reason: "describes lying down on a railway line or road",
    kind: "self",
    pattern: re(
      String.raw`\b(?:lie|lying|lay|laying|sit|sitting) down on (?:the )?(?:line|lines|tracks|rails|railway|motorway|dual carriageway|level crossing)\b|\b(?:walk|walking|step|stepping) (?:out )?into (?:the )?(?:traffic|oncoming|motorway|path of)\b`,
    ),
  },
  {
    signal: "self_harm",
    reason: "describes hurting themselves on purpose",
    kind: "self",
    pattern: re(
      String.raw`\b(?:did not|have not|had not|stopped|refused to|refusing to) eat(?:ing)? (?:anything )?(?:for )?(?:\w+ ){0,3}on purpose\b|\b(?:slammed|crushed|burned|burnt|banged|hit|smashed|jammed) my (?:own )?(?:\w+ ){0,1}(?:fingers?|hands?|arms?|head|wrists?|legs?) (?:\w+ ){0,3}(?:till|until) (?:i|it) (?:cried|bled|bruised|could not|broke|went numb)\b|\b(?:punched|hit|smashed|kicked) (?:the )?(?:\w+ )?(?:wall|mirror|door|window) on purpose\b`,
    ),
  },
  // --- Passive ideation.
  {
    signal: "passive_ideation",
    reason: "expresses passive thoughts of not being alive",
    kind: "self",
    negated: true,
    pattern: re(
      String.raw`\bwish (?:i was|i were|to be|i could be|i had been) (?:dead|gone|never born|not born|not here|not alive|asleep forever)\b|\bwish (?:i|that i) (?:could|would) (?:just )?(?:disappear|vanish|sleep forever|stop existing|not exist|not wake up|fall asleep and (?:never|not) wake up|fade away|cease to exist|go to sleep and (?:never|not) wake up|be gone)\b|\bwish (?:i|that i) (?:had never been|was never|were never|was not|were not|had not been) (?:born|alive|here)\b|\b(?:do|did) not want to (?:wake up|be here|be alive|exist|live|go on|carry on|keep going|be around)\b|\b(?:hope|hoping|pray|praying) (?:that )?(?:i|the lord|god|he|something|someone|a car|a bus|a lorry|a truck)? ?(?:\w+ ){0,2}(?:do not|does not|will not|never|not) (?:wake up|make it|survive|come back)\b|\b(?:hope|hoping|pray|praying|wish|wishing) (?:that )?(?:\w+ ){0,3}(?:takes me|take me|kills me|hits me|ends it|ends me|in my sleep|ends it all)\b|\bif i (?:just )?(?:did not|do not|never|would not) wake up\b|\b(?:do not|did not|would not|will not|wouldnt) (?:really )?(?:care|mind) if i (?:died|did not wake up|was dead|were dead|was gone|got hit|crashed|never woke|do not wake up|died tomorrow)\b|\b(?:do not|would not|will not|would not really) (?:care|mind) if (?:the|my|a|it) (?:\w+ ){0,3}(?:came back bad|was cancer|killed me|took me|hit me|was fatal|was terminal|ended it)\b|\bwhat is the point (?:of|in) (?:living|life|anything|any of it|going on|being alive|me|carrying on|trying|it all|waking up)\b|\b(?:there is )?no point (?:in |to )?(?:living|life|going on|being alive|carrying on|me being here|any of it|anything anymore|waking up|trying anymore|existing)\b|\bnothing (?:left )?to live for\b|\bno reason to (?:live|go on|keep going|stay|be here|wake up|carry on)\b|\b(?:life|living) (?:is not|is no longer|isnt|is not really) worth (?:it|living)\b|\bnot worth living\b|\b(?:everyone|everybody|they|people|my family|the world|my kids|my children|she|he|my wife|my husband|the kids|\w+) (?:\w+ ){0,2}(?:would be|will be|is|are|would have been|might be) (?:so much |much |a lot |far )?(?:better|happier|fine|easier) (?:off )?(?:without me|if i (?:was|were) (?:gone|dead|not here|not around))\b|\b(?:would|will) (?:have )?(?:an easier|a better|an easier) (?:life|time) (?:without me|if i (?:was|were) (?:not|gone))\b|\bbetter off (?:dead|gone|with (?:a|someone) (?:\w+ ){0,3}(?:who is not|that is not|other than) me)\b|\bnobody would (?:miss|notice|care) (?:me|if i)\b|\bi am (?:just )?(?:a burden|a waste of space|a waste of oxygen|better off dead)\b|\b(?:a )?burden (?:to|on) (?:everyone|everybody|my family|them|you|people)\b|\b(?:tired|sick|exhausted) of (?:being alive|living|existing|life|waking up|breathing)\b|\b(?:want|wanted|wanting|wish|wishing|need|needing) (?:it all|everything|all of it|the world|life) to (?:stop|end|go away|be over)(?: for good| forever| now)?\b|\b(?:hate|loathe|despise|sick of|tired of) being alive\b|\b(?:want|wanted|wish) to (?:just )?(?:disappear|vanish|not exist|stop existing|cease to exist|go to sleep (?:and|forever)|sleep forever|not be alive|fade away)\b|\bcannot (?:go on|carry on|keep going|do this) (?:anymore|like this|much longer)\b|\bcannot (?:go on|carry on)\b|\b(?:i would|i will) (?:end up )?(?:be )?dead (?:anyway|soon anyway)\b|\bmight as well be (?:dead|sooner|gone)\b|\b(?:thinking|think|thought) (?:about|of) (?:being dead|not existing|not being (?:here|alive)|disappearing)\b|\bwould not be the worst thing if i\b|\b(?:would|will) not be (?:missed|here much longer)\b|\bready to go whenever\b|\beasier if i (?:was|were) (?:dead|gone|not here|not around)\b`,
    ),
  },
  // --- Past attempts.
  {
    signal: "past_attempt",
    reason: "mentions a past suicide attempt",
    kind: "self",
    pattern: re(
      String.raw`\b(?:tried|attempted|tried to) (?:to )?(?:kill ${SELF}|end my life|end it|take my (?:own )?life|hang ${SELF}|overdose|suicide)\b|\b(?:my|the|last|previous|first|second|third) suicide attempts?\b|\bsince i (?:overdosed|attempted|tried)\b|\b(?:survived|after) (?:an|my|the) (?:overdose|attempt)\b|\bstomach pumped\b|\bi overdosed\b`,
    ),
  },
  {
    signal: "past_attempt",
    reason: "mentions what may be a past attempt",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:my|the|last|previous|first|second|third|two|three|several|both|\d+) attempts?\b(?! (?:at|to|of|on|in)\b)`,
    ),
  },
  // --- Self-harm acts and urges.
  {
    signal: "self_harm",
    reason: "describes harming themselves",
    kind: "self",
    pattern: re(
      String.raw`\b(?:cut|cutting|burned|burnt|burning|hurt|hurting|harmed|harming|hit|hitting|punched|punching|scratched|scratching|bit|biting|carved|carving|punished|punishing|starved|starving|bruised|bruising) ${SELF}\b|\bself[- ]?harm(?:ed|ing)?\b|\b(?:cut|cutting|sliced|slicing|scratched|scratching|burned|burnt|burning|carved|carving) (?:up )?(?:my|both) (?:\w+ ){0,1}(?:arms?|wrists?|thighs?|legs?|skin|stomach|hips?|forearms?|hands?)\b|\brelapsed\b(?! (?:on|with|into) (?:smoking|drinking|cigarettes|vaping|sugar|the diet|gambling|weed|my diet))|\bfresh (?:cuts|scars|wounds|burns)\b|\b(?:until|till) (?:it|i) bled\b|\b(?:razor|blade|lighter|iron|compass|scissors|knife|cigarette) (?:to|on|onto|into|against|across) (?:my )?(?:\w+ ){0,1}(?:arms?|wrists?|thighs?|legs?|skin|forearms?|hands?|stomach)\b|\b(?:pressed|held|put|took) (?:the |a |my )?(?:razor|blade|lighter|iron|compass|knife|cigarette) (?:to|on|onto|against|into|across)\b|\b(?:hit|banged|smashed|punched|bashed) (?:my )?(?:head|fist|fists|hand|hands|knuckles) (?:\w+ ){0,2}(?:against|into|on) (?:the )?(?:wall|door|floor|mirror|desk|wardrobe)\b|\b(?:punching|punched|hitting|kicking) (?:the )?(?:\w+ )?(?:wall|walls|door|mirror)\b.{0,40}\b(?:bled|bleeding|split|broke|blood|bruised)\b|\bmade myself bleed\b`,
    ),
    unless:
      /^\s*(?:shaving|cooking|chopping|on (?:the|a|my)|while|by accident|accidentally|at (?:the )?(?:gym|work|training)|lifting|playing|when i (?:fell|tripped|slipped)|slightly|a bit|out of (?:the|this)|off from)\b/,
  },
  {
    signal: "self_harm",
    reason: "describes what may be harming themselves",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\bmade it bleed\b|\b(?:burned|burning|burnt) (?:again|last night|this morning|today|every day|on purpose)\b`,
    ),
  },
  {
    signal: "self_harm_urge",
    reason: "describes an urge to harm themselves",
    kind: "self",
    pattern: re(
      String.raw`\b(?:urge|urges|tempted|want|wanted|wanting|craving|crave|itching|close|need|needed|thinking about|thought about) (?:\w+ ){0,2}?(?:to )?(?:cut|cutting|hurt|hurting|harm|harming|burn|burning|punish|punishing|scratch|scratching) (?:${SELF}|again|my (?:arms?|wrists?|thighs?|legs?|skin))\b|\burge to (?:cut|hurt|burn|harm|punish)\b|\b(?:days|weeks|months) clean\b(?= [^\n]{0,200}?\b(?:urge|want|tempted|close|nearly|almost)\b)`,
    ),
  },
  // --- Abuse.
  {
    signal: "abuse_threat",
    reason: "describes a threat to their life or being choked",
    kind: "abuse",
    pattern: re(
      String.raw`\b(?:threatened|threatening|threatens|swore|promised) (?:\w+ ){0,2}(?:to kill me|to hurt me|to end me|he would kill me|she would kill me|to make me disappear)\b|\b(?:he|she|they|my (?:partner|husband|wife|boyfriend|girlfriend|ex|dad|father|stepdad|mum|mom)) (?:\w+ ){0,2}(?:choked|strangled|suffocated|smothered) me\b|\b(?:choked|strangled) me\b|\b(?:hands?|belt|arm) (?:around|round) my (?:neck|throat)\b|\b(?:held|pointed|put) (?:a |the |his |her )?(?:knife|gun|blade) (?:to|at) (?:me|my)\b|\b(?:afraid|scared|fear|frightened|terrified) for my life\b|\b(?:he|she|they) (?:tried|is trying|was trying) to kill me\b|\b(?:he|she) (?:said|says|told me) (?:\w+ ){0,3}(?:nobody|no one) would (?:miss|find|notice) me\b|\b(?:he|she) could (?:arrange|make) that\b|\b(?:he|she) (?:will|would|is going to) kill me (?:if|when|one day)\b(?= [^\n]{0,200}?\b(?:leave|tell|police|find out|go|scared|afraid)\b)`,
    ),
  },
  {
    signal: "abuse",
    reason: "describes being hurt or abused by someone",
    kind: "abuse",
    pattern: re(
      String.raw`\b(?:he|she|they|my (?:partner|husband|wife|boyfriend|girlfriend|ex|father|mother|dad|mum|mom|stepdad|stepfather|stepmother|stepmum|brother|sister|uncle|boss|coach|carer|son|daughter|fiance|fiancee))\s+(?:\w+ ){0,2}?(?:hits|hit|beats|beat|kicked|kicks|slapped|slaps|punched|punches|shoved|pushed|threw|raped|abuses|abused|assaulted|molested|grabbed|dragged|pinned|locked|burned|burnt|bit|spat on|headbutted|strangles|chokes|smashed|broke|twisted) (?:me|my (?:arm|wrist|face|head|phone|nose|ribs|things))\b|\b(?:being|been|was|were|got|get|getting) (?:\w+ )?(?:abused|raped|molested|sexually assaulted|beaten|beaten up|groomed|trafficked)\b(?! (?:by (?:a|the) (?:ball|car|bus|wave|door)|in (?:the|a) (?:game|match)))|\babusive (?:relationship|partner|husband|wife|boyfriend|girlfriend|parent|father|mother|home|marriage)\b|\b(?:controls|checks|tracks|monitors) (?:my|all my) (?:money|phone|messages|location|bank)\b(?= [^\n]{0,200}?\b(?:he|she|him|her|partner|husband|wife|boyfriend|girlfriend)\b)|\b(?:he|she) (?:does not|will not|would not) let me (?:leave|see|go out|have|talk)\b|\bbruises? (?:where|that) (?:he|she|they)\b`,
    ),
    unless:
      /^\s*(?:by (?:a|the) (?:\w+ )?(?:ball|car|bus|wave|door|branch)|in (?:the|a) (?:game|match|scrum|tackle)|with (?:a|the) (?:pillow|cushion|ball|snowball|water balloon|nerf|towel)|(?:by accident|accidentally|during (?:the|a) (?:game|match|fight|pillow fight|play)))\b/,
  },
  // --- More ways people write about acts and means without the words "suicide" or "kill".
  {
    signal: "means",
    reason: "mentions having enough of something to act with",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:a|one|two|three|four|six|\d+) (?:months?|weeks?)'?s? worth\b|\bcounted (?:them|it|the \w+) (?:again|out|twice|up)\b|\b(?:it is|that is|there are|there is|that will be|it will be|it should be) (?:more than )?enough(?: now)?\W*$|\bthere (?:are|is) (?:more than )?enough (?:now|of them)\b|\b(?:the|my) (?:big |sharp |kitchen )?knife\b(?= [^\n]{0,200}?\b(?:holding|hold|thinking|put it back|again|wrist|myself)\b)|\b(?:the|which) train (?:times|timetable)\b|\b(?:goes|go|going) straight through\b|\b(?:drove|walked|went) (?:past|to|up to|back to) the (?:spot|place|bridge|edge|tracks|cliff|top floor|roof|headland|quarry|reservoir)\b|\b(?:the|a) (?:bridge|viaduct|cliff|cliffs|headland|quarry|tracks|level crossing|reservoir|barn|beam|loft hatch)\W*$`,
    ),
  },
  {
    signal: "means",
    reason: "describes taking or using a means",
    kind: "self",
    pattern: re(
      String.raw`\b(?:took|swallowed|taken|take|taking) (?:everything|all of it|the lot|every pill|every tablet|the whole lot|whatever was) (?:in|from|out of) (?:the|my|mum's|dad's) (?:cabinet|cupboard|drawer|box|bottle|packet|tin|bag)\b|\bhandful of (?:\w+ ){0,2}${PILLS}\b|\b(?:in|into) the garage with the (?:door|doors|engine)\b|\bengine running\b(?= [^\n]{0,200}?\b(?:garage|door|shut|closed|hose)\b)|\b(?:stopped|stop) (?:eating and drinking|drinking and eating|taking my (?:insulin|heart pills|blood thinners|meds|medication|tablets)) (?:on purpose|deliberately|for good)\b|\bon purpose\b(?= [^\n]{0,200}?\b(?:crash|drive|speed|meds|tablets|pills|eyes shut|shut my eyes)\b)|\bleaving the life ?jacket\b|\bshut my eyes (?:on|at|while) (?:the )?(?:wheel|motorway|bypass|road|driving)\b`,
    ),
  },
  {
    signal: "self_harm",
    reason: "describes harming themselves",
    kind: "self",
    pattern: re(
      String.raw`\b(?:i |i have |have |i am |am |been |i have been )?(?:cut|cutting) (?:again|last night|this morning|tonight|today|yesterday|every day|every night|twice|deeper|deep|for the first time|for the first time in|more|worse)\b|\b(?:bite|bit|biting|bitten|scratch|scratched|scratching|pinch|pinched|pinching|punch|punched|punching|hit|hitting|slap|slapped|claw|clawed|clawing|pull|pulled|pulling out) (?:at )?my (?:own )?(?:arms?|hands?|wrists?|legs?|thighs?|skin|face|stomach|head|hair) (?:till|until|so hard|hard|raw|bloody|purple)\b|\btook (?:a|the|my) (?:razor|blade|knife|lighter|compass|scissors) to my\b|\b(?:hand|arm|fingers|palm|wrist) (?:on|onto|against) the (?:hob|stove|iron|cooker|kettle|radiator)\b|\bthe (?:lighter|razor|blade|cutting|burning) thing\b|\bdo (?:worse|more) to myself\b|\bgo deep enough\b|\bhow much further i could go\b|\b(?:new|fresh|more) (?:marks|scars|cuts|burns|bruises) (?:on|under|across) my\b`,
    ),
  },
  {
    signal: "active_ideation",
    reason: "says they do not want to live",
    kind: "self",
    negated: true,
    pattern: re(
      String.raw`\b(?:do|did) not want to (?:live|be alive|exist|be here) (?:anymore|any longer|now)\b|\b(?:do|did) not want to (?:live|be alive|exist)\b|\bbetter off dead\b|\b(?:the|these) (?:dark )?thoughts (?:are|is|came|come|have come|keep coming) (?:back|there|constant|louder|every|again|getting)\b|\b(?:do not|does not|would not|genuinely do not|honestly do not) (?:really )?care (?:if|whether) i (?:live or die|die|lived or died|died|wake up)\b|\bhoping (?:something|someone) (?:happens|hits me|takes me)\b|\bhoping i (?:just )?(?:fade out|fade away|do not wake up|disappear|die|crash)\b|\b(?:thinking|think|thought) (?:about|of) (?:how (?:to|i would) (?:make it quicker|do it|end it|go about it)|walking into the (?:sea|river|water)|(?:just )?going (?:straight )?into the (?:trees|wall|river|sea))\b|\bwhat if i (?:just )?(?:kept going|did not stop|went further|did it)\b|\b(?:tried|try|trying|already tried) (?:twice|once|three times|before)\b`,
    ),
  },
  {
    signal: "past_attempt",
    reason: "mentions a past suicide attempt",
    kind: "self",
    pattern: re(
      String.raw`\b(?:already )?tried (?:twice|once|three times|before)\b|\bfound me (?:with|hanging|in the|on the floor|unconscious|after)\b|\b(?:the|my|a) (?:first|second|third|last) time i tried\b|\btook (?:an|a massive|a big) overdose\b|\b(?:woke|came round) (?:up )?in (?:the )?(?:hospital|a&e|icu|resus)\b`,
    ),
  },
  {
    signal: "abuse_threat",
    reason: "describes a threat to their life",
    kind: "abuse",
    pattern: re(
      String.raw`\b(?:he|she|they|him|her|my (?:husband|wife|partner|boyfriend|girlfriend|ex|dad|father|stepdad|mum|mom|brother|son))(?: say| said| says| told me| will| would| is going to| kept saying| swore)? (?:\w+ ){0,3}?(?:kill|shoot|stab|strangle|drown|bury|break my neck|finish) (?:me|my neck)\b(?= [^\n]{0,200}?\b(?:police|tell anyone|leave him|leave her|left him|left her|go to|gun|loaded|knife|afraid|scared|terrified|next time|one day|nobody will|no one will|passport|dog|himself|herself)\b)|\b(?:held|pushed|forced) my head (?:under|into|down)\b|\buntil i blacked out\b|\btill i blacked out\b|\bnext time (?:he|she) (?:will not|would not|is not going to) (?:let me (?:up|go|live|breathe)|stop)\b|\bmake sure i (?:disappear|disappeared|never)\b|\b(?:keeps|kept|keep) (?:it|the gun|a gun) loaded\b`,
    ),
  },
  {
    signal: "abuse",
    reason: "describes being hurt or controlled by someone",
    kind: "abuse",
    pattern: re(
      String.raw`\b(?:keeps|kept|keep|started) touching me\b|\b(?:he|she|they|coach|my \w+) (?:\w+ ){0,2}(?:touched|touches|grabbed|groped) (?:me|my)\b|\b(?:took|takes|take|has|hid|hides|kept|keeps) (?:away )?my (?:passport|documents|papers|bank card|wages|money|phone|keys)\b(?= [^\n]{0,200}?\b(?:he|she|him|her|husband|wife|partner|boyfriend|girlfriend|dad|mum)\b)|\b(?:he|she) (?:\w+ ){0,2}(?:smashed|broke|threw) (?:my|me)\b`,
    ),
  },
  // --- Plain forms: how people write a plan, a means or an act at their worst, without the clinical words.
  {
    signal: "active_ideation",
    reason: "says they want their life to be over",
    kind: "self",
    pattern: re(
      String.raw`\b(?:want|wanting|wants|need|needing|wish|wishing|would like) (?:my life|my own life|it all|this life|everything|all of it|me) to (?:be over|end|stop|be done)\b|\b(?:stop|stopped|quit) being alive\b|\b(?:done|finished|tired of|sick of|fed up of|fed up with|loathe|hate|hating|done staying|done with staying) (?:with )?(?:being alive|staying alive|living|existing)\b(?! (?:in|at|with|on|like|here|there) (?:this|that|the|a)\b)|\bwants? (?:me )?dead\W*$|\b(?:bit|part) of me that wants (?:dead|to die|out|to go)\b|\b(?:my (?:own )?death|dying|being dead) (?:keeps|feels|sounds|seems|looks) (?:\w+ ){0,2}(?:good|better|like (?:good news|relief|the answer|a relief|the only|an escape|a way out|peace|rest))\b|\bsuicide (?:is|feels|seems|keeps|is starting|has started|sounds) (?:\w+ ){0,4}(?:option|answer|way|sensible|logical|right|only)\b|\b(?:help|helping) it along\b|\bmake that happen\b(?<=(?:without me|alive|dead|gone|over|end)\b[^\n]{0,80})`,
    ),
    unless: /^\s*(?:in (?:this|that) (?:job|house|town|city|flat)|with (?:him|her|them))\b/,
  },
  {
    signal: "intent",
    reason: "says the act is decided or imminent",
    kind: "self",
    pattern: re(
      String.raw`\b(?:tonight|today|tomorrow|this weekend|${WEEKDAY}(?: night)?|next week|this week)(?:'s|s| is| will be) the (?:night|day|week)\W*$|\bthe day i am (?:going|doing it|leaving for good)\b|\bthe (?:day|night|date) i (?:die|do it|end it)\b|\bi am jumping (?:tonight|tomorrow|today|now|this|on|at|off|from|when|after)\b|\blast (?:night|day|days|week|hours) on (?:this )?earth\b(?! (?:before|as a|as an|lol|haha))|\bnot (?:waking|going to wake|wake) up (?:for|on|after|by) (?:\w+ ){0,1}(?:${WEEKDAY}|tomorrow|the morning|christmas|my birthday)\b|\bif (?:you|anyone|someone|somebody) (?:is )?(?:sees?|reads?|reading|finds?) this,? (?:i am|i will be|i have) (?:already )?(?:gone|dead|not here|done it)\b|\bi am (?:already )?gone by (?:the time|now|then)\b|\bwhen i am gone\b(?= [^\n]{0,120}\b(?:tell|look after|take care|please|sorry|love)\b)`,
    ),
  },
  {
    signal: "intent",
    reason: "says their mind is made up",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\bdoing it (?:now|tonight|today|tomorrow|this (?:weekend|week|time))\b|\b(?:it is |its )?nearly over\b|\b(?:the|my) (?:date|day|time) (?:is )?(?:set|picked|chosen|decided|fixed)\b|\b(?:date|day) (?:set|picked|chosen)\b|\bknowing (?:when|the date|the day)\b|\bnot checking out\b|\bno return\b|\b(?:do not|will not) need a return\b|\blast (?:sunset|sunrise)\b|\bthe end of everything\b|\bthe last day for everything\b|\bneat ending\b|\bi will see (?:her|him|them|you) soon\b(?<=(?:grave|nan|nana|gran|grandad|mum|mom|dad|heaven)[^\n]{0,80})|\bbe with (?:her|him|them|mum|mom|dad) by\b`,
    ),
  },
  {
    signal: "means",
    reason: "mentions a method",
    kind: "self",
    pattern: re(
      String.raw`\b(?:walk|walking|go|going|step|stepping|jump|jumping|throw ${SELF}|throwing ${SELF}|run|running|ride|riding|drive|driving|crash|crashing|steer|steering|swerve|swerving|floor it|flooring it) (?:the car |my car |the van |my bike |the bike |my motorbike |it |out )?(?:\w+ ){0,2}?(?:into|in front of) (?:the |a |an |that |one of the )?(?:back of (?:a |the )?)?(?:[\w.:']+ ){0,2}?(?:train|tube|express|freight|lorry|truck|semi|artic|bus|oncoming|traffic|wall|tree|barrier|pylon)\b|\b(?:walk|walking|go in|going in|swim out|swimming out|wade|wading|wade out|drive|driving|put|putting|crash|crashing|steer|steering|throw ${SELF}|throwing ${SELF}) (?:the car |my car |the van |it |out )?(?:\w+ ){0,2}?(?:into|in at|in off|off|at) (?:the |a |an |that )?(?:[\w.:']+ ){0,2}?(?:canal|weir|estuary|loch|harbour|dock|docks|reservoir|river|sea|lake|ocean|waves|quarry)\b|\b(?:step|stepping|jump|jumping|throw ${SELF}|throwing ${SELF}|go|going|drive|driving|launch ${SELF}) (?:\w+ ){0,1}?(?:off|from) (?:the |a |an |that |one of the )?(?:top of (?:the |a |one of the )?)?(?:[\w.:']+ ){0,2}?(?:viaduct|flyover|overpass|footbridge|bridge|cliffs?|headland|multi ?storey|roof|tower block|tower blocks|top floor)\b`,
    ),
    unless:
      /^\s*(?:\w+ ){0,6}(?:to (?:get|take) (?:a )?photos?|for (?:the|a) (?:view|photo|picture|sunset|sunrise|swim|dip|paddle|picnic)|with (?:the|my) (?:camera|kids|dog|friends|family)|and (?:back|home)|on (?:the|my) way (?:to|home)|to (?:work|school|the shops))\b/,
  },
  {
    signal: "means",
    reason: "mentions something that could be a method",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:cord|dressing gown cord|scarf|belt|rope|extension lead|cable|flex|tie) (?:is |are )?(?:\w+ ){0,2}(?:round|around|to|over|from|on|off) (?:the )?(?:banister|bannister|beam|loft hatch|hook|wardrobe rail|curtain pole|stairs|landing)\b|\b(?:banister|bannister|beam|hook|loft hatch|wardrobe rail) (?:will|would|should) hold\b|\b(?:it|the \w+) held\W+(?:\w+ ){0,3}(?:tomorrow|tonight|for real)\b|\bhook(?:'s| is)? up in the\b|\b(?:dad's|dads|his|grandad's|grandads|my|the) (?:rifles|guns|shotguns|ar|ar-15|glock)\b|\b(?:out of|in) the (?:gun )?safe\b(?<=(?:rifle|gun|shotgun|pistol|ar)[^\n]{0,40})|\bthe pills are out\b|\b(?:pills|tablets|paracetamol) in my pocket\b|\bpills from three\b|\bfrom (?:two|three|four|different) (?:different )?(?:shops|chemists|pharmacies)\b|\bthe whole night to ${SELF}\b|\b(?:car park|carpark|multi ?storey) roof\b|\btallest (?:car park|building|bridge|multi ?storey)\b|\b(?:no|without a|without my|helmet off|no) seatbelt\b|\bhelmet off\b|\bno barrier\b|\bfoot down\b(?= [^\n]{0,80}\b(?:tonight|tomorrow|bend|wall|tree|barrier|seatbelt)\b)`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes putting affairs in order",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\bfor after\W*$|\b'?for after (?:${WEEKDAY}|tonight|tomorrow|i am gone|i go|i die|the weekend|next week)\b|\bto be found in\b|\bin case (?:anything|something) (?:happens|happened) to me\b|\b(?:the )?last loose end\b|\b(?:my|own|the) funeral (?:playlist|songs|plan|music|outfit)\b|\b(?:songs|music|playlist|hymns) for (?:my|the) funeral\b|\bfuneral plan (?:paid|sorted|done)\b|\b(?:deleted|deleting|wiped|wiping) (?:all )?(?:my )?(?:socials|social media|accounts|instagram|facebook|laptop|phone|browser history|search history|messages)\b|\bunsubscribed from everything\b|\bpasscodes?\b|\bsignatory\b|\bone for the coroner\b|\bthe coroner\b(?<=(?:letter|note|one)[^\n]{0,40})|\bwill not be wanting (?:\w+ ){0,2}back\b|\bboxed up (?:anything|everything)\b|\bwith names on\b|\bnobody (?:will be|is) owed\b|\bso nobody inherits\b|\bnot (?:be )?left short\b|\bout of office\b(?= [^\n]{0,40}\buntil further notice\b)`,
    ),
  },
  {
    signal: "self_harm",
    reason: "describes harming themselves",
    kind: "self",
    pattern: re(
      String.raw`\bcarv(?:ed|ing|e) (?:\w+ ){0,3}?into my\b|\b(?:scored|scoring|etched|etching) (?:\w+ ){0,2}(?:lines|marks|words?) (?:into|on|in) my\b|\b(?:new|fresh|more) (?:scars|cuts|burns) (?:on|under|across|in) my\b|\bdid (?:new )?lines on my\b|\b(?:burned|burnt|burn|burning) (?:\w+ ){0,3}my (?:\w+ ){0,1}(?:arm|arms|wrist|wrists|hand|hands|thigh|thighs|leg|legs|skin|stomach|palm) with (?:a |the |my )?(?:cigarette|lighter|iron|match|matches|lighter flame)\b|\b(?:held|pressed|put) (?:the back of )?my (?:\w+ ){0,1}(?:hand|hands|arm|wrist|palm|finger|fingers) (?:flat )?(?:on|onto|to|against|over) the (?:hob|hob ring|iron|stove|cooker|kettle|radiator|flame|grill)\b|\bpoured (?:the )?(?:kettle|boiling water) (?:over|on) my\b|\b(?:took|takes|take|taken) (?:the |a |my )?(?:stanley knife|blade|razor|scissors|compass|knife|lighter) (?:to|into|across|on) (?:my|both)\b|\b(?:scratched|clawed|bit|bitten|hit|punched|slapped|scraped|picked) (?:\w+ ){0,4}(?:till|until) (?:it|they|i|my \w+) (?:bled|bleed|bruised|was raw|went raw|rang|split|blistered|could smell)\b|\b(?:cut|cutting|did it|done it|hurt myself|harmed myself|sh'?d|sh) again\b(?= [^\n]{0,60}\b(?:behind|in the|at|last|this|after|before|on|under)\b)|\bsh'?d (?:again|last night|today)\b|\b(?:cat scratches|the cat) (?:again )?\W*(?:lol|haha)?\W*\(?it (?:was not|wasnt) the cat\b|\bskin(?:'s| is)? a mess again\b|\bmarked myself\b|\barms look like a barcode\b|\bswallowed (?:some )?(?:\w+ ){0,3}(?:paperclips|batteries|glass|bleach|the cleaning stuff|cleaning stuff|pins|screws)\b|\bdrank (?:some )?(?:bleach|antifreeze|the cleaning stuff)\b`,
    ),
    unless:
      /^\s*(?:by accident|accidentally|while (?:cooking|ironing|shaving)|at (?:the )?(?:gym|work|training))\b/,
  },
  {
    signal: "abuse_threat",
    reason: "describes a threat to their life",
    kind: "abuse",
    pattern: re(
      String.raw`\b(?:he|she|they|my \w+)(?: will| would| said| says| is going to| swore| threatened)? (?:\w+ ){0,4}?(?:snap|break|wring) my (?:neck|throat)\b|\b(?:he|she|they)(?: will| would| is going to| said| says)? (?:\w+ ){0,3}?finish the job\b|\bwith me in it\b(?<=(?:fire|burn|torch|petrol|drive|crash|lake|river)[^\n]{0,60})|\b(?:bury|burying) me (?:and|alive|in the (?:garden|woods|back|yard))\b|\b(?:drown|drowning) me\b|\bmake sure i (?:do not|never|will not) see\b|\b(?:you will|you would|you are going to) be dead (?:before|by|if|when)\b|\b(?:let me rot|leave me to rot|wished (?:she|he) had drowned me)\b|\b(?:his|her|the) (?:gun|knife|rifle) (?:goes|is|was|comes) (?:on|out|onto) (?:the table|in arguments|during)\b|\bboth dying tonight\b|\bkill me and the (?:baby|kids|children)\b|\bknee on my (?:neck|throat|chest)\b|\bsqueezed my (?:throat|neck)\b|\bhad the knife out\b`,
    ),
  },
  {
    signal: "active_ideation",
    reason: "says they want their life to be over",
    kind: "self",
    pattern: re(
      String.raw`\bwant(?:s|ed|ing)? to (?:be gone|end me|stop existing)\b(?=\W*(?:$|properly|so badly|for good|forever|before)|\W+(?:\w+ ){0,2}gone\b)|\b(?:so )?over (?:being alive|being a person|existing)\b|\bexisting is over\b|\bdisappointed (?:that )?i (?:woke|wake) up\b|\bwant out of (?:being alive|being a person|life|existing|this world)\b|\b(?:think|thinking|thought) (?:about|of) (?:just )?stepping (?:forward|out|off|in front)\b|\bthe pull to (?:try|do it) again\b|\b(?:i am|i will|am) (?:finishing|ending) it\b(?! (?:with|off|at|by|for (?:him|her|them|us)))(?![^\n]{0,40}\b(?:with (?:him|her|them)|i mean)\b)(?=[^\n]{0,40}\b(?:life|for good|tonight|tomorrow|this week|once|\w+day)\b|\W*$)|\b(?:finishing|ending) (?:it|this week|this)\W+not work,? life\b|\bi want to do it for real\b`,
    ),
  },
  {
    signal: "intent",
    reason: "says the act is decided or imminent",
    kind: "self",
    negated: true,
    pattern: re(
      String.raw`\b(?:do not|don't|dont|no point|nobody|no one) (?:try(?:ing)? (?:and|to) )?talk(?:ing)? me out of it\b|\bi am going now\b(?=\W*(?:$|bye|goodbye|sorry|love))|\b(?:bye|goodbye)\W+(?:\w+ ){0,8}i am going now\b|\bwhen i am taking them\b|\bi am taking them (?:tonight|now|at)\b|\bgoing to do it before (?:sunrise|morning|dawn|anyone)\b`,
    ),
  },
  {
    signal: "intent",
    reason: "says their mind is made up",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:i am|i will be|then i am) gone for good\b|\b(?:the day|when) i will go to (?:him|her|them)\b|\bgo to (?:him|her) (?:then|on|soon|that day)\b|\b(?:it is|its|it has been|all) (?:sorted|settled)\W+(?:i am )?(?:calm|peaceful|at peace|happy)\b|\b(?:it has been|it is|its) settled\b|\b\w+ is it\W+i feel (?:lighter|calm|peaceful)\b|\bnext week is it\b|\bno going back\b|\bi am just stopping\b|\bi am done\W+\w*$`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes putting affairs in order",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:will|wills) (?:is |are )?(?:signed|done|written|sorted)\b|\b(?:deed|deeds) (?:\w+ ){0,4}in (?:\w+ ){0,1}name\b|\bjust in case\W*$|\bpaid (?:off|the) (?:\w+ ){0,3}(?:in advance|so (?:nobody|no one))\b|\bprepaid\b|\bset up all my bills to be cancelled\b|\b(?:posted|left|gave) (?:the |my )?(?:house |flat |car |spare )?keys (?:to|with|under)\b(?= [^\n]{0,120}\b(?:note|sorry|apologis\w+|whoever|tonight|finds)\b)|\bthe spare key is under\b|\bfor whoever finds me\b|\bso nobody has to\b|\bmessaged everyone\b|\btexted everyone\b|\bsaid sorry to all of them\b`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes giving belongings away or rehoming pets",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:pets?|cats?|dogs?|rabbits?|birds?) (?:are |is )?rehomed\b|\b(?:dogs?|cats?) (?:is |are )?with (?:mum|mom|dad|my \w+) now\b|\bdropped off the (?:cat|dog|rabbit)\b`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes researching a method or a place",
    kind: "self",
    pattern: re(
      String.raw`\b(?:googled|googling|google|researched|researching|research|reading about|read about|looked up|looking up|searched|searching) (?:\w+ ){0,2}(?:ways to die|ways of dying|ways every|drowning|overdoses|overdosing|hanging ${SELF}|methods)\b|\b(?:most painless|least painful|quickest|easiest|surest) way\b(?! to (?:get|make|cook|learn|clean|save|travel|lose|fix|do (?:the|my)))|\bways of dying\b|\bwhich (?:bridges?|car parks?|buildings?)\b(?= [^\n]{0,60}\b(?:barriers?|fences?|highest|tallest|no fence)\b)|\bhighest floor\b(?= [^\n]{0,100}\b(?:stop me|nobody|no one|without)\b)|\bhow long (?:does it take |would it take )?(?:for (?:someone|a body|me) )?to be found\b|\bwhich side (?:of it )?has no fence\b|\bwhich (?:medications?|pills|tablets|drugs) (?:\w+ ){0,4}(?:stop your heart|are lethal|kill)\b|\bpays? out if (?:it is|its) not an accident\b`,
    ),
  },
  {
    signal: "means",
    reason: "mentions having or gathering a means",
    kind: "self",
    pattern: re(
      String.raw`\bstockpil(?:ed|ing) them\b|\b(?:pills|tablets|${PILLS}) in (?:front of me|my hand|my hands)\b|\bi have the (?:pills|tablets) (?:in front of me|here|ready|out)\b|\b(?:kept|keeping|stored|storing|hid|hidden|hiding|stashed) (?:every|all the|a bottle of|a box of|a pack of|a packet of) (?:[\w']+ ){0,3}(?:${PILLS}|pill|tablet)\b|\b(?:take|taking|swallow|swallowing|took|down|downing) the whole (?:box|bottle|packet|pack|strip)(?: of (?:${PILLS}|them|it))?(?= (?:from|out of|in|when|tonight|and|then)\b|\W*$)|\bstole (?:a pack of|some of)? ?(?:\w+ ){0,1}(?:blades|razors|pills|tablets)\b`,
    ),
  },
  {
    signal: "means",
    reason: "mentions something that could be a method",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:dads|grandads|dad's|grandad's|his|my) (?:gun|rifle|shotgun|pistol)\b|\b(?:pill bottle|the big pill bottle)\b|\b(?:kept|keeping) the (?:painkillers|tablets|pills)\b|\bwhat i need from\b|\b\d{1,2} (?:floors|storeys) up\b|\bthe window (?:\w+ ){0,3}opens all the way\b|\b(?:roof hatch|the roof door)\b|\bbeam in the loft\b|\bwhich beam\b|\blength of (?:cable|rope|cord|flex)\b`,
    ),
  },
  {
    signal: "self_harm",
    reason: "describes harming themselves",
    kind: "self",
    pattern: re(
      String.raw`\b(?:slashed|slashing|sliced|slicing|gouged|stabbed|stabbing|cut|cutting) (?:\w+ ){0,1}my (?:own )?(?:calf|calves|arm|arms|leg|legs|thigh|thighs|wrist|wrists|stomach|skin|ankle|ankles|hip|hips|forearm|forearms|chest)\b(?= [^\n]{0,60}\b(?:with|again|till|until|deep|blade|razor|box cutter|knife|nobody)\b)|\b(?:used|use|using) (?:the|a|my) (?:compass|razor|blade|scissors|lighter|needle|pin|box cutter)\b(?= [^\n]{0,80}\b(?:on my|arm|thigh|leg|wrist|skin|again|deep|not deep)\b)(?![^\n]{0,60}\b(?:draw|drew|drawing|measure|for a laugh)\b)|\b(?:chucked|threw|flung|thrown) ${SELF} (?:down|off|into|against)\b|\bstuck (?:the |a )?(?:needle|pin|compass) into my\b|\bcut\W+again\b|\bburn(?:ed|t)? (?:it|them|${SELF}|my \w+) again\b|\b(?:did|done) it again in the (?:shower|bathroom|toilets?|car park)\b|\bkeep (?:burning|cutting|scratching|hitting|hurting|biting) my\b|\b(?:slammed|banged|smashed|burned|burnt|hit) my (?:own )?(?:\w+ ){0,1}(?:hand|hands|fingers?|wrist|arm|head) (?:\w+ ){0,4}(?:on purpose|until i could)\b|\bto get hurt\b(?<=${SELF}[^\n]{0,60})`,
    ),
  },
  {
    signal: "intent",
    reason: "says the act is decided or imminent",
    kind: "self",
    pattern: re(
      String.raw`\b(?:this time (?:next \w+|tomorrow)|by (?:\w+ ){0,2}|before (?:\w+ ){0,2})\W*i will be (?:dead|gone)\b|\bi will be dead (?:by|before|this time|soon|in)\b|\bi am ending too\b|\b(?:tonight|tomorrow|soon|then) i stop being (?:a problem|a burden|here)\b|\bi am going through with it\b`,
    ),
  },
  {
    signal: "intent",
    reason: "says their mind is made up",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\bi am doing it\W*$|\bi am finished\W*$|\bnothing left to do but (?:go|die|it)\b|\bnothing (?:holding|keeping) me (?:here|to)\b|\bthat is (?:my time|the one)\W*$|\b(?:it is|its|it's) (?:all )?sorted for\b|\bjust need the (?:nerve|guts|courage)\b|\bi know the spot\b|\b(?:keep )?thinking about doing it\b|\bkeep walking\W*$`,
    ),
  },
  {
    signal: "active_ideation",
    reason: "thinks about ways of ending their life",
    kind: "self",
    pattern: re(
      String.raw`\b(?:think|thinking|thought) about (?:jumping|going off|stepping off|throwing ${SELF}|driving off|driving into)\b(?! (?:in|into) (?:the )?(?:pool|lake|sea|river) (?:with|for))`,
    ),
  },
  {
    signal: "passive_ideation",
    reason: "expresses passive thoughts of not being alive",
    kind: "self",
    negated: true,
    pattern: re(
      String.raw`\bwish(?:ing)? (?:i|that i) (?:had not|did not) (?:woken|wake|woke) up\b|\bwish(?:ing)? i had not been found\b|\bdying would be (?:easier|better|a relief|kinder)\b`,
    ),
  },
  {
    signal: "means",
    reason: "mentions something that could be a method",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\b(?:walk|walking|swim|swimming) (?:out )?(?:past|to the end of|off the end of|to) the (?:rocks|pier|edge|end of the pier)\b|\bwait for the train\b|\b(?:freight|express|the train|the \d{1,2}[.:]\d\d) (?:never slows|does not stop|comes through|goes straight through|never stops)\b|\bi have the (?:blade|razor)\b|\bwith the (?:blade|rope|gun|razor)\b|\b\d (?:boxes|packets|packs) from\b|\blast of the ${PILLS}\b`,
    ),
  },
  {
    signal: "preparatory",
    reason: "describes putting affairs in order",
    kind: "self",
    weak: true,
    pattern: re(
      String.raw`\bfor when (?:they are|she is|he is|theyre|you are) older\b|\bwho gets what\b|\b(?:called|titled|named) it '?after'?\W*$|\bwith the subject(?: line)? '?for after\b|\bmaster password\b|\brecovery (?:number|email)\b`,
    ),
  },
  {
    signal: "self_harm",
    reason: "describes harming themselves",
    kind: "self",
    pattern: re(
      String.raw`(?<=\b(?:burnt|burned|cut|hit|slammed|banged|scratched|stepped on|bit|punched|threw up|chucked|swallowed|took|bruised)\b[^\n.]{0,50})\bon purpose\b`,
    ),
  },
  {
    signal: "abuse_threat",
    reason: "describes a threat to their life",
    kind: "abuse",
    pattern: re(
      String.raw`\bnext time (?:he|she|they) (?:would not|will not) miss\b|(?<=\b(?:shoved|pushed|threw|hit|punched|kicked)\b[^\n]{0,80})\bnext time it will be\b`,
    ),
  },
  // --- Acute distress (a present struggle, not by itself risk to life).
  {
    signal: "distress",
    reason: "describes acute distress",
    kind: "self",
    pattern: re(
      String.raw`\b(?:panic attacks?|cannot breathe|cannot stop crying|(?:feel|feeling|am|i am) (?:so |completely |totally |utterly |just )?(?:hopeless|worthless|desperate|empty|numb|trapped|broken)|falling apart|breaking down|cannot (?:take|handle|cope with|do) (?:it|this|any of this) anymore|unbearable|at breaking point|i hate myself|hate my life)\b`,
    ),
  },
  {
    signal: "timing",
    reason: "names a time when nobody will be around",
    kind: "context",
    weak: true,
    pattern: re(
      String.raw`\b(?:when|while|whilst|once|after|till|until) (?:everyone|everybody|they|the house|the kids|mum|dad|my (?:husband|wife|partner|flatmates?|parents|family)|\w+)(?:'s)? (?:is|are|has|have|goes|go|falls?|gets?)? ?(?:\w+ ){0,2}(?:asleep|in bed|to bed|out|away|at (?:work|church|school|the \w+|their \w+|his \w+|her \w+)|on (?:holiday|nights|the night shift|shift)|empty|gone)\b|\bthe house (?:is|will be) empty\b|\b(?:nobody|no one)(?:'s| is| will| would)? (?:ever )?(?:look|find|be|come|notice|up there|around|home)\b`,
    ),
  },
  // --- Timing (a modifier: it matters only close to intent, a plan, a means or preparations).
  {
    signal: "timing",
    reason: "names a time",
    kind: "context",
    pattern: re(
      String.raw`\b(?:tonight|tomorrow(?: night| morning)?|this (?:weekend|evening|afternoon|week|${WEEKDAY})|(?:on |next |by |this |till |until |before )?${WEEKDAY}(?: night| then)?|after (?:work|school|class|college|uni|my shift|the shift|everyone|they|the kids|mum|dad|the funeral|christmas|the holidays|the exam|everyone's)|when (?:everyone|they|the house|the kids|mum|dad|my \w+|\w+) (?:is|are|goes|go|has gone|have gone|falls|fall|is at|are at|go to|leaves|leave) (?:\w+ ){0,2}(?:asleep|to sleep|to bed|out|away|gone|at work|shift|night shift)|once (?:\w+ ){0,2}(?:asleep|in bed|gone|at work|left|out)|at (?:midnight|dawn|\d{1,2}(?::\d\d)? ?(?:am|pm)?)|in (?:an|a few|two|three|\d+) (?:hours?|days?)|before (?:morning|sunrise|dawn|christmas|my birthday|anyone wakes|they get back|the weekend|the end of the (?:week|month))|right now|soon|(?:while|whilst|when) (?:\w+ ){0,2}(?:is|are) (?:away|at work|out|asleep|on holiday|at (?:their|his|her) \w+)|(?:waiting|wait) (?:till|until)|after (?:dark|the wedding|the funeral|her birthday|his birthday|my birthday)|the (?:first|end) of the month|new year's|on my birthday|first light|first thing|next (?:week|weekend)|(?:on|from|after|till|until) the \d{1,2}(?:st|nd|rd|th)|by (?:midnight|morning)|\d{1,2}(?:[:.]\d\d)? ?(?:am|pm)|after (?:dinner|tea|i post this|the exams?)|new year'?s eve|christmas eve|when it (?:gets|is) dark|(?:till|until) \d{1,2}(?:[:.]\d\d)?(?! (?:minutes|mins|hours|days|weeks|years|%))|when the (?:pub|pubs|bar) (?:shuts|closes)|after close|after the fireworks|at the end of the (?:school )?year)\b`,
    ),
  },
  // --- Protective factors.
  {
    signal: "protective",
    reason: "is talking to someone or getting help",
    kind: "context",
    pattern: re(
      String.raw`\b(?:talked|talking|spoke|speaking|called|calling|rang|ringing|texted|texting|reached out|told|telling|messaged) (?:to )?(?:my |a |the )?(?:therapist|counsell?or|doctor|gp|psychiatrist|nurse|friend|family|mum|mom|dad|partner|someone|helpline|hotline|crisis (?:line|team)|988|samaritans|shout|sister|brother|\w+ instead)\b|\b(?:getting|got|seeking|asked for|accepting) (?:some )?help\b|\bi have a (?:therapist|counsell?or|safety plan|crisis plan)\b|\b(?:booked|made|have) (?:a |an )?(?:gp|doctor's|doctor|therapy|counselling|psychiatrist) (?:appointment|session)\b|\bsafety plan\b|\b(?:going|went) to (?:a&e|a and e|the er|the hospital|hospital)\b`,
    ),
  },
  {
    signal: "protective",
    reason: "names reasons to live",
    kind: "context",
    pattern: re(
      String.raw`\b(?:my )?(?:kids|children|son|daughter|family|partner|dog|cat|pets?|baby|grandkids|\w+) (?:keep|keeps|need|needs|kept) me (?:here|going|alive|safe|from)\b|\breasons? to (?:live|stay|keep going)\b|\bi want to (?:live|get better|stay safe|stay)\b|\b(?:not going to|will not|would not|i will not|i would not|i am not going to) (?:do|act on) (?:anything|it|them)\b|\bthink of (?:their|his|her|my \w+'s) faces?\b`,
    ),
  },
  {
    signal: "protective",
    reason: "says they are safe",
    kind: "context",
    pattern:
      /\b(?:i am safe(?: now| tonight)?|i feel safer|i am not in danger|i am staying safe|i am okay now|i am ok now)\b/g,
  },
];

// ---------------------------------------------------------------------------------------------------
// Context: what makes a risk phrase someone else's, imagined, denied or past.

/** Hard boundaries: the end of a sentence or line. */
const HARD_BREAK = /[.!?\n;:]+/g;
/** Soft boundaries inside a run-on sentence: a negation or subject before one does not reach past it. */
const SOFT_BREAK =
  /,|\s-\s|\b(?:but|and|so|because|though|although|yet|or|then|except|until|unless|while|whereas|cause|instead)\b/g;

const NEGATION =
  /\b(?:never|not|no|nor|without|no longer|nothing like|far from|stopped|quit|gave up|would rather not|refuse to|refused to)\b(?:\s+[\w']+){0,4}\s*$/;
/** Phrases with a negation word that do not negate what follows ("I can't stop thinking about …"). */
const NOT_A_NEGATION =
  /\b(?:cannot stop|can not stop|could not stop|do not know (?:why|how|if|what|whether|when)|not sure (?:if|whether|why|that|how)|no idea (?:why|how|if)|cannot help|could not help|cannot get (?:rid of|away from|past)|not because|no one|nobody|nothing|no matter|not just|not only|not even|cannot shake|never (?:thought|expected|imagined) i would|do not think i can|cannot see|not today|not anymore|if not|why not|no more|no way out|i did not even)\b/g;
/** After the phrase: "… is not an option", "… was never the answer". */
const POST_NEGATION =
  /^\s*(?:is|was|would be|will be|would never be|feels?|seems?|has|have|had)?\s*(?:not|never|no longer|nowhere near)\b(?! (?:a question|an if|if|whether))|^\s*(?:is not|was not|will not|would not|is never|was never) (?:an option|the answer|something|happening|going to happen)\b|^\s*(?:\w+ ){0,3}(?:do not worry|i promise|i am fine|i am ok|i am okay)\b(?! with)/;

/** Someone else is the subject: their story, not the writer's state. */
const THIRD_PERSON_SUBJECT =
  /\b(?:he|she|they|his|her|their|him|them|you|someone|somebody|people|everyone|a (?:friend|colleague|patient|client|student|man|woman|boy|girl|kid|guy|lady)|the (?:character|narrator|protagonist|hero|heroine|villain|patient|client|main character|girl|boy|man|woman|victim|author|singer|poet|speaker|detective|soldier|guy|lady|teen|teenager)|the (?:eldest|youngest|oldest|middle one|kid|child|pupil|lad|girl|teen)|(?:a|one|another) (?:pupil|student|client|patient|resident|service user)|my (?:friend|mate|best friend|sister|brother|cousin|mum|mom|dad|mother|father|son|daughter|aunt|uncle|nan|gran|grandma|grandad|grandpa|flatmate|roommate|colleague|coworker|co-worker|boss|patient|client|student|neighbou?r|partner|husband|wife|boyfriend|girlfriend|ex|niece|nephew|kid|kids|teacher|therapist)|[a-z]+'s (?:friend|sister|brother|mum|mom|dad|son|daughter|boyfriend|girlfriend|husband|wife|partner|cousin|kid|child))\b/g;
const FIRST_PERSON = /\b(?:i|me|my|myself|mine)\b/g;
/** Verbs of reporting: what follows is what someone else said, thought or did. */
const REPORTED =
  /\b(?:said|says|told|tells|wrote|writes|texted|posted|admitted|confessed|thinks|thought|felt|feels|wanted|wants|tried|tries|was|is)\b/;

/** Fiction, media, news, school and work: a risk phrase inside one describes, it does not disclose. */
const FRAME_CUE =
  /\b(?:novel|story|stories|short story|fiction|fanfic|fan fiction|screenplay|script|scene|chapter|plot|character|characters|protagonist|narrator|villain|heroine|antagonist|episode|season finale|series|show|film|movie|documentary|podcast|play|musical|opera|song|songs|lyric|lyrics|album|track|poem|poetry|verse|line from|quote|quoted|article|news|headline|headlines|report|reported|journalist|paper said|the paper|newspaper|statistics|stats|campaign|awareness|training|module|lecture|seminar|essay|assignment|thesis|dissertation|exam question|case study|textbook|coursework|research|study|patients?|clients?|the ward|on shift|ward round|triage|caller|callers|hotline shift|crisis line shift|game|video game|level|boss fight|meme|joke|sketch|comedian|stand-up|book|books|memoir|biography|writing prompt|prompt|draft|manuscript|workshop|home visit|referral|caseload|safeguarding|disclosed|revision|history|coursework|act \d|shakespeare|awareness)\b/;

/** A frame named just after the phrase: "I want to die (in the game)". */
const FRAME_AFTER =
  /^\s*\(?\s*(?:in|on|from|for) (?:the |a |my |this |that )?(?:game|video game|film|movie|book|novel|show|song|story|play|script|episode|chapter|scene|essay)\b/;

/** Past and over: told from a safer place now. */
const HISTORICAL =
  /\b(?:used to|years ago|year ago|months ago|decades? ago|in the past|back then|back in|back when|at (?:my|the) lowest|when i was (?:younger|a teenager|a teen|a kid|a child|little|in (?:school|college|uni|my (?:teens|twenties))|\d+|fifteen|sixteen|seventeen|fourteen|thirteen|eighteen|nineteen|twenty)|as a (?:teenager|teen|kid|child)|when i was (?:at|in) (?:uni|university|school|college|secondary|sixth form)|for (?:about |nearly |almost )?(?:a|one|two|three) years? (?:back|in my)|in (?:high school|secondary school|sixth form|college|uni|university|my teens|my twenties|my first year)|that (?:year|winter|summer|spring|autumn|time in my life)|in (?:19|20)\d\d|(?:i have been|i am|been) (?:\w+ )?(?:clean|free|safe|better|well|sober) (?:for|since)|(?:\w+ )(?:days|weeks|months|years) (?:clean|free|since)|i am (?:in a )?(?:much )?(?:better|good|safe|okay|ok|different) (?:place|now)|(?:i am|i have) recovered|in recovery|survived|i am glad i (?:did not|am still here|stayed|am alive)|still here|looking back|i never thought i would get (?:here|through)|i was (?:\d+|a teenager|a teen|a kid|young|younger|in \w+ school) when|at (?:\d\d|fifteen|sixteen|seventeen|fourteen|nineteen|eighteen|twenty)\b|(?:years|months) since i (?:last|stopped|quit|was)|years later|years on|i am \d\d now|the year (?:i|when i|that i)|(?:from|in|since|back in) (?:19|20)\d\d)\b/;
/** An entry about having come through. */
const RECOVERY =
  /\b(?:better now|doing (?:much |so much |a lot )?better|doing well|in a (?:much |far )?better place|recovered|recovery|survived|glad i am (?:still )?(?:here|alive)|grateful to be (?:here|alive)|proud of (?:how far|myself|me)|therapy (?:helped|worked|saved)|(?:days|weeks|months|years) (?:clean|free)|came through|got through it|out the other side)\b/;
const PAST_TENSE = /\b(?:was|were|wanted|tried|thought|felt|used to|had|did|attempted|took|spent)\b/;
/** Right after the phrase: a laugh or an "only joking" marks dark humour, not disclosure. */
const JOKE_AFTER =
  /^[^.!?\n]{0,25}?(?:\blol\b|\blmao\b|\blmfao\b|\bhaha\w*|\bjk\b|\bjust kidding\b|\bonly joking\b|\bjoking\b|😂|🤣|💀|😭|🙃)/u;

/** "Last night", "this morning": the past, but too recent to be history. */
const RECENT =
  /\b(?:last night|tonight|this morning|this afternoon|this evening|today|yesterday|earlier|just now|again|right now|these days|lately|recently|this week|all week|every night|most nights|most days|at the moment|still|relapsed|relapse|keep|keeps|kept|currently)\b/;

interface Match {
  rule: SignalRule;
  start: number;
  end: number;
}

interface Clause {
  start: number;
  end: number;
}

function breaks(text: string, pattern: RegExp): Clause[] {
  const out: Clause[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    out.push({ start: last, end: m.index });
    last = m.index + m[0].length;
  }
  out.push({ start: last, end: text.length });
  return out;
}

function sentenceAt(sentences: readonly Clause[], index: number): Clause {
  return sentences.find((s) => index >= s.start && index <= s.end) ?? { start: 0, end: index };
}

/** The words before a match back to the nearest soft or hard boundary, at most `words` of them. */
function leftClause(text: string, sentence: Clause, index: number, words = 10): string {
  const before = text.slice(sentence.start, index);
  let cut = 0;
  for (const m of before.matchAll(SOFT_BREAK)) cut = m.index + m[0].length;
  const clause = before.slice(cut).trim().split(/\s+/).filter(Boolean);
  return clause.slice(-words).join(" ");
}

function lastIndex(pattern: RegExp, text: string): number {
  let at = -1;
  for (const m of text.matchAll(pattern)) at = m.index;
  return at;
}

/** Why a match does not describe the writer's own present state, or undefined if it does. */
function cancelled(text: string, sentences: readonly Clause[], match: Match): string | undefined {
  const sentence = sentenceAt(sentences, match.start);
  const clause = leftClause(text, sentence, match.start);
  const after = text.slice(match.end, Math.min(sentence.end, match.end + 60));
  const matched = text.slice(match.start, match.end);

  if (match.rule.kind === "context") return undefined;
  if (!match.rule.negated) {
    const cleaned = clause.replace(NOT_A_NEGATION, " ");
    if (NEGATION.test(cleaned)) return "negated";
    if (
      !/\b(?:not|never)\b/.test(match.rule.pattern.source) &&
      /\b(?:not|never|no longer)\b/.test(matched.replace(NOT_A_NEGATION, " "))
    )
      return "negated";
  }
  if (POST_NEGATION.test(after) && match.rule.signal !== "self_harm") return "negated";
  if (match.rule.unless?.test(after)) return "figure of speech";

  const wholeBefore = text.slice(sentence.start, match.start);
  if (match.rule.kind === "self") {
    // The nearest subject before the phrase decides whose state it is ("my friend says she wants to die").
    const third = lastIndex(THIRD_PERSON_SUBJECT, clause);
    const first = lastIndex(FIRST_PERSON, clause);
    const phraseIsMine = /\b(?:i|me|my|myself)\b/.test(matched);
    if (third >= 0 && third > first && !(phraseIsMine && first >= 0)) {
      if (!/\bmyself\b|\bmy (?:life|own life)\b/.test(matched) || REPORTED.test(clause.slice(third))) {
        return "someone else's story";
      }
    }
    // "She told me she …" across a soft boundary: a reporting clause opens the sentence.
    const opener = wholeBefore.trim();
    if (
      first < 0 &&
      !phraseIsMine &&
      /\b(?:he|she|they|my \w+|\w+) (?:said|says|told me|tells me|texted|wrote|admitted|confessed)\b/.test(
        opener,
      ) &&
      !/\bi\b/.test(opener.slice(Math.max(0, opener.length - 30)))
    ) {
      return "someone else's story";
    }
    if (
      /\b(?:he|she|they|mum|mom|dad|\w+) (?:\w+ )?(?:thinks|thought|is worried|was worried|worries|assumes|assumed|believes|believed|asked (?:me )?(?:if|whether)|asks (?:me )?(?:if|whether)|suspects|is convinced|panicked that|reckons) (?:that )?i\b/.test(
        clause,
      )
    ) {
      return "someone else's worry";
    }
    if (FRAME_AFTER.test(after) || FRAME_CUE.test(after.slice(0, 45))) return "fiction, media or work";
    if (/\bif i (?:die|do not make it|perish|drop dead|collapse)\b/.test(wholeBefore))
      return "a joke or a what-if";
    if (
      FRAME_CUE.test(wholeBefore) &&
      !/\b(?:i feel|i felt|made me|makes me|i want|i wanted|i am|reminded me)\b/.test(wholeBefore)
    ) {
      return "fiction, media or work";
    }
  }

  if (match.rule.kind === "self") {
    // Forward, the past reaches into the next sentence ("I cut myself at school. That was years ago."),
    // while what makes it present must be in the same sentence.
    const before = words(text.slice(sentence.start, match.start), -14);
    const past = `${before} ${matched} ${words(text.slice(match.end), 14)}`;
    const present = `${before} ${matched} ${words(text.slice(match.end, sentence.end), 10)}`;
    const isPresent = RECENT.test(present.replace(/\bstill here\b|\bago today\b/g, " "));
    if (HISTORICAL.test(past) && !isPresent) return "in the past";
    // Told in the past tense in an entry about recovery: "I was suicidal for a long time; therapy helped."
    if (!isPresent && RECOVERY.test(text) && PAST_TENSE.test(`${words(before, -4)} ${matched}`))
      return "in the past";
  }
  if (
    (match.rule.signal === "active_ideation" || match.rule.signal === "passive_ideation") &&
    JOKE_AFTER.test(text.slice(match.end, Math.min(text.length, match.end + 40)))
  ) {
    return "a joke";
  }
  return undefined;
}

function words(text: string, n: number): string {
  const list = text.trim().split(/\s+/).filter(Boolean);
  return (n < 0 ? list.slice(n) : list.slice(0, n)).join(" ");
}

/** One found signal: which rule, where (character offsets in the normalised text), and what cancelled it. */
export interface SignalHit {
  signal: SafetySignal;
  reason: string;
  start: number;
  end: number;
  /** Set when the phrase is not the writer's own present state; such hits do not count towards the level. */
  cancelledBy?: string;
  /** An everyday cue that counts only with corroboration (see `SignalRule.weak`). */
  weak?: boolean;
}

export interface SignalReading {
  /** The normalised text the offsets refer to. */
  text: string;
  hits: SignalHit[];
  /**
   * Whether the text is about a move, a trip, a clear-out or another ordinary occasion, read before names
   * are masked ("four bags to the Oxfam"); absent, it is read from `text`.
   */
  ordinaryOccasion?: boolean;
}

/** Every rule match in a text, with its context verdict. The level is a separate, pure step. */
export function readSignals(input: string): SignalReading {
  const text = stripIdioms(stripQuotes(normaliseSafetyText(input)));
  const sentences = breaks(text, HARD_BREAK);
  const hits: SignalHit[] = [];
  for (const rule of RULES) {
    for (const m of text.matchAll(rule.pattern)) {
      if (m[0].trim() === "") continue;
      const match = { rule, start: m.index, end: m.index + m[0].length };
      const why = cancelled(text, sentences, match);
      hits.push({
        signal: rule.signal,
        reason: rule.reason,
        start: match.start,
        end: match.end,
        ...(rule.weak ? { weak: true } : {}),
        ...(why ? { cancelledBy: why } : {}),
      });
    }
  }
  // A signal cancelled as past still tells the history.
  const history = hits
    .filter((hit) => hit.cancelledBy === "in the past" && !hit.weak)
    .map((hit) => ({ signal: "history" as const, reason: hit.reason, start: hit.start, end: hit.end }));
  const ordinaryOccasion = LIFE_CHANGE.test(text) || LIFE_CHANGE.test(input.normalize("NFKC").toLowerCase());
  return { text, hits: [...hits, ...history], ordinaryOccasion };
}

const ACUTE: readonly SafetySignal[] = ["intent", "plan", "means", "preparatory"];
/** Signals that corroborate an everyday cue. */
const RISK: readonly SafetySignal[] = [
  "passive_ideation",
  "active_ideation",
  "intent",
  "plan",
  "means",
  "preparatory",
  "past_attempt",
  "self_harm",
  "self_harm_urge",
  "distress",
];
/** A move, a trip, a clear-out, a new job: what makes goodbyes and giving things away ordinary. */
const LIFE_CHANGE =
  /\b(?:moving|move to|moved to|the move|new (?:flat|house|place|home|job|city|country)|flight|flying|emigrat\w*|relocat\w*|holiday|trip|travel\w*|backpack\w*|gap year|suitcase|packing|packed|boxes|letting agent|estate agent|lease|declutter\w*|clear(?:ed|ing)? out|marie kondo\w*|charity shop|oxfam|car boot|wedding|retire\w*|leaving do|leaving party|farewell|new start|fresh start|abroad|exchange year|semester abroad|visa|deployment|deployed|exchange|eurostar|airport|flies back|marathon|half marathon|race day|the race|bib|finish line|graduation|leaving the company|notice period|last day at (?:work|the office))\b/;
const IDEATION: readonly SafetySignal[] = ["passive_ideation", "active_ideation", "intent"];
/** How close (in characters) timing must be to an acute signal to count as the time of an act. */
const TIMING_REACH = 220;

/**
 * The level as a function of the signals present (docs/safety.md):
 * - critical: the act is prepared or imminent: intent together with a plan, means, preparations or a
 *   time; a plan or means together with a time, preparations or each other; preparations together with
 *   ideation, a time, a plan, a means or a past attempt.
 * - high: active ideation; intent, a plan, a means or preparatory acts on their own; recent self-harm;
 *   a past attempt together with present ideation; a threat to life from someone else.
 * - moderate: passive ideation; an urge to self-harm; abuse; a past attempt told alone.
 * - low: acute distress; risk that is over (history); a past attempt in recovery.
 * - none: nothing of the above.
 * Protective factors are reported but never lower high or critical: a reason to live does not undo a plan.
 */
export function levelFromSignals(present: ReadonlySet<SafetySignal>, timedAct = false): SafetyLevel {
  const has = (s: SafetySignal) => present.has(s);
  const acute = ACUTE.filter(has).length;
  const ideation = IDEATION.some(has);
  if (has("intent") && (acute >= 2 || timedAct)) return "critical";
  if ((has("plan") || has("means")) && (timedAct || has("preparatory") || (has("plan") && has("means"))))
    return "critical";
  if (has("preparatory") && (ideation || timedAct || has("plan") || has("means") || has("past_attempt")))
    return "critical";
  if (acute > 0 || has("active_ideation") || has("self_harm") || has("abuse_threat")) return "high";
  if ((has("past_attempt") || has("history")) && (has("passive_ideation") || has("self_harm_urge")))
    return "high";
  if (has("passive_ideation") || has("self_harm_urge") || has("abuse") || has("past_attempt"))
    return "moderate";
  if (has("distress") || has("history")) return "low";
  return "none";
}

const CATEGORY_OF: Partial<Record<SafetySignal, SafetyCategory>> = {
  passive_ideation: "suicidal_ideation",
  active_ideation: "suicidal_ideation",
  intent: "suicidal_ideation",
  plan: "suicidal_ideation",
  means: "suicidal_ideation",
  preparatory: "suicidal_ideation",
  past_attempt: "suicidal_ideation",
  self_harm: "self_harm",
  self_harm_urge: "self_harm",
  abuse: "abuse",
  abuse_threat: "abuse",
  distress: "acute_distress",
};

/** Extra signals a caller found by other means (the node's meaning layer), with where they sit. */
export interface ExtraSignal {
  signal: SafetySignal;
  reason: string;
  /** Offsets in the original text when known, for pairing timing with an act. */
  start?: number;
  end?: number;
}

/** Turns a reading (plus any extra signals) into the result every caller stores and shows. */
export function resultFromSignals(reading: SignalReading, extra: readonly ExtraSignal[] = []): SafetyResult {
  const uncancelled = reading.hits.filter((h) => !h.cancelledBy);
  // Everyday cues count only with corroboration: a risk signal, or two different such cues in a text that
  // is not about a move, a trip or a clear-out (where giving things away and goodbyes are just that).
  const strong =
    uncancelled.some((h) => !h.weak && RISK.includes(h.signal)) || extra.some((e) => RISK.includes(e.signal));
  const weakReasons = new Set(uncancelled.filter((h) => h.weak).map((h) => h.reason));
  // A possible means or preparation (a rope, a high place, pills counted, letters) with a time close to it
  // is an act with a time; a "plan" with a time is too everyday ("the plan is the gym tonight").
  const plainTimes = uncancelled.filter((h) => h.signal === "timing" && !h.weak);
  const timedWeakAct = uncancelled.some(
    (h) =>
      h.weak &&
      h.signal !== "plan" &&
      ACUTE.includes(h.signal) &&
      plainTimes.some(
        (t) =>
          // A time inside the cue itself ("tonight's the night") does not corroborate it.
          (t.end <= h.start || t.start >= h.end) &&
          Math.min(Math.abs(t.start - h.end), Math.abs(h.start - t.end)) <= TIMING_REACH / 2,
      ),
  );
  const ordinaryOccasion = reading.ordinaryOccasion ?? LIFE_CHANGE.test(reading.text);
  const corroborated = strong || (!ordinaryOccasion && (weakReasons.size >= 2 || timedWeakAct));
  const live = uncancelled.filter((h) => !h.weak || corroborated);
  const present = new Set<SafetySignal>([...live.map((h) => h.signal), ...extra.map((e) => e.signal)]);
  // Timing counts when it sits near an act (an intent, plan, means or preparation), wherever the sentence breaks.
  const acts = [...live, ...extra].filter((h) => ACUTE.includes(h.signal));
  const times = live.filter((h) => h.signal === "timing");
  const anyPosition = acts.some((a) => a.start === undefined);
  const timedAct =
    times.length > 0 &&
    acts.length > 0 &&
    (anyPosition ||
      times.some((t) =>
        acts.some(
          (a) =>
            a.start !== undefined &&
            a.end !== undefined &&
            Math.min(Math.abs(t.start - a.end), Math.abs(a.start - t.end)) <= TIMING_REACH,
        ),
      ));
  if (!timedAct) present.delete("timing");
  const level = levelFromSignals(present, timedAct);
  if (level === "none") return { level, reasons: [] };

  const reasons = new Set<string>();
  const categories = new Set<SafetyCategory>();
  for (const hit of [...live, ...extra]) {
    if (hit.signal === "timing" && !timedAct) continue;
    if (hit.signal === "history") {
      reasons.add(`${hit.reason} (in the past)`);
      continue;
    }
    reasons.add(hit.signal === "protective" ? `protective factor: ${hit.reason}` : hit.reason);
    const category = CATEGORY_OF[hit.signal];
    if (category) categories.add(category);
  }
  const result: SafetyResult = {
    level,
    reasons: [...reasons],
    categories: [...categories],
    signals: SAFETY_SIGNALS.filter((s) => present.has(s)),
  };
  if (LEVEL_ORDER[level] >= LEVEL_ORDER.moderate) {
    result.resources = [...CRISIS_RESOURCES, ...(categories.has("abuse") ? ABUSE_RESOURCES : [])];
  }
  return result;
}

/**
 * What the lexical reader reads: the rules' normalised text (quotes and idioms already blanked) with every
 * phrase the rules read as not the writer's present state (negated, someone else's, fiction, past) blanked
 * too, so "mum thinks i want to die" does not read as the writer's own wish.
 */
export function lexicalText(reading: SignalReading): string {
  let text = reading.text;
  for (const hit of reading.hits) {
    if (!hit.cancelledBy) continue;
    text = text.slice(0, hit.start) + " ".repeat(hit.end - hit.start) + text.slice(hit.end);
  }
  return text;
}

const WHOLE_TEXT_MIN_WORDS = 8;

export const LEXICAL_REASON = "reads, as a whole, like someone thinking of ending their life now";

/**
 * The signal a whole-text reader (the lexical reader, or a node's entry head) adds at or above its threshold:
 * active ideation, so the level is at least high. A text of a few words needs some cue the rules saw as
 * well. The lexical reader alone (`lexical: true`) also stays silent when every risk phrase the rules found
 * is someone else's, fiction or a joke (the wording that made the text look risky is explained), and when
 * all the rules found is abuse; never for a negated or past phrase, since "don't worry, i won't" and a past
 * attempt beside present preparations are exactly what must not be explained away.
 */
export function wholeTextSignals(
  reading: SignalReading,
  probability: number,
  threshold: number,
  options: { lexical?: boolean } = {},
): ExtraSignal[] {
  // NaN (a broken model) never reads as risk or as safe by accident: it adds nothing, the rules still answer.
  if (!(probability >= threshold)) return [];
  const live = reading.hits.filter((h) => !h.cancelledBy && h.signal !== "protective");
  // A few words are too little for a reader of the whole text to go on alone ("why do i keep doing
  // this"): under WHOLE_TEXT_MIN_WORDS it needs some cue the rules saw too.
  if (live.length === 0 && lexicalTokens(reading.text).length < WHOLE_TEXT_MIN_WORDS) return [];
  if (options.lexical) {
    const risk = reading.hits.filter((h) => RISK.includes(h.signal) && !h.weak);
    const explained = (h: SignalHit) =>
      h.cancelledBy !== undefined && h.cancelledBy !== "negated" && h.cancelledBy !== "in the past";
    if (risk.length > 0 && risk.every(explained)) return [];
    // Abuse alone is named by the rules already (with its own resources).
    const strong = live.filter((h) => !h.weak && !["timing", "history", "distress"].includes(h.signal));
    if (strong.length > 0 && strong.every((h) => h.signal === "abuse" || h.signal === "abuse_threat"))
      return [];
  }
  return [{ signal: "active_ideation", reason: LEXICAL_REASON, start: 0, end: reading.text.length }];
}

/** The lexical reader's probability for a reading, with the shipped model. */
export function lexicalRisk(reading: SignalReading): number {
  return lexicalProbability(LEXICAL_MODEL, lexicalText(reading));
}

/**
 * Assesses one text with the rules and the lexical reader (no model files needed: what the edge answers
 * when no node does). Same input, same answer; nothing is logged or stored.
 */
export function assessSafety(text: string): SafetyResult {
  const reading = readSignals(text);
  return resultFromSignals(reading, wholeTextSignals(reading, lexicalRisk(reading), LEXICAL_MODEL.threshold));
}

/** The rules alone, without the lexical reader: for measuring what each part contributes. */
export function assessSafetyByRules(text: string): SafetyResult {
  return resultFromSignals(readSignals(text));
}

/** A stretch of the normalised text that a meaning layer reads as one unit. */
export interface SafetyWindow {
  text: string;
  start: number;
  end: number;
}

/**
 * Sentence and clause windows over a reading's text, for matching by meaning: each sentence; two short
 * neighbours together ("counted them again. it is enough."); and overlapping 18-word windows through a
 * long run-on sentence, so text without punctuation is read in clause-sized pieces too.
 */
export function safetyWindows(reading: SignalReading, maxWindows = 80): SafetyWindow[] {
  const text = reading.text;
  const sentences = breaks(text, HARD_BREAK)
    .map((s) => {
      const raw = text.slice(s.start, s.end);
      const lead = raw.length - raw.trimStart().length;
      return { start: s.start + lead, end: s.start + raw.trimEnd().length };
    })
    .filter((s) => /[a-z]/.test(text.slice(s.start, s.end)));
  const out: SafetyWindow[] = [];
  const add = (start: number, end: number) => {
    const piece = text.slice(start, end).replace(/\s+/g, " ").trim();
    if (piece.length > 0 && !out.some((w) => w.start === start && w.end === end))
      out.push({ text: piece, start, end });
  };
  const SIZE = 18;
  const STRIDE = 9;
  sentences.forEach((s, i) => {
    const spans = [...text.slice(s.start, s.end).matchAll(/\S+/g)].map((m) => ({
      start: s.start + m.index,
      end: s.start + m.index + m[0].length,
    }));
    if (spans.length <= SIZE + 4) add(s.start, s.end);
    else {
      for (let w = 0; w < spans.length; w += STRIDE) {
        const last = Math.min(spans.length, w + SIZE) - 1;
        add((spans[w] as { start: number }).start, (spans[last] as { end: number }).end);
        if (last === spans.length - 1) break;
      }
    }
    const next = sentences[i + 1];
    if (next && spans.length <= 12 && next.end - next.start <= 90) add(s.start, next.end);
  });
  return out.slice(0, maxWindows);
}

/**
 * Whether the rules read a window as not the writer's own present state: a risk phrase in it was cancelled
 * (negation, someone else's story, fiction or work, the past) and none stands. A meaning layer defers to
 * this, so a sentence the rules understood as a denial is not flagged by similarity alone.
 */
export function windowCancelled(reading: SignalReading, window: SafetyWindow): boolean {
  const inside = reading.hits.filter(
    (h) =>
      h.start >= window.start && h.end <= window.end && h.signal !== "timing" && h.signal !== "protective",
  );
  const cancelledHere = inside.some((h) => h.cancelledBy);
  const liveHere = inside.some((h) => !h.cancelledBy && !h.weak && h.signal !== "history");
  if (cancelledHere && !liveHere) return true;
  const piece = window.text;
  if (
    FRAME_CUE.test(piece) &&
    !/\b(?:i feel|i felt|made me|makes me|i want|i wanted|i am|reminded me)\b/.test(piece)
  )
    return true;
  if (HISTORICAL.test(piece) && !RECENT.test(piece.replace(/\bago today\b/g, " "))) return true;
  const third = lastIndex(THIRD_PERSON_SUBJECT, piece);
  return third >= 0 && !/\b(?:i|me|my|myself)\b/.test(piece);
}

/** The node's `POST /v1/safety/assess`: rules plus meaning for one chat message, before any LLM call. */
export const safetyAssessRequestSchema = z.object({ text: z.string().min(1).max(20_000) });
export type SafetyAssessRequest = z.infer<typeof safetyAssessRequestSchema>;

/**
 * One answer from the edge's own rules and a node's rules-plus-meaning reading of the same text: the
 * higher level wins, so a node can add what the rules missed but never lower what they found.
 */
export function mergeSafety(rules: SafetyResult, node: SafetyResult | null | undefined): SafetyResult {
  if (!node) return rules;
  return LEVEL_ORDER[node.level] >= LEVEL_ORDER[rules.level] ? node : rules;
}
