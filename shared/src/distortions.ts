import { z } from "zod";

/**
 * Cognitive-distortion detection for journal text: hand-written patterns, no model, so the edge and every
 * node give the same answer and each decision can be traced to one rule. It flags phrasings that often go
 * with a thinking trap (Beck; Burns), to offer a reflection prompt — it does not judge the writer.
 *
 * Careful about three things a naive keyword list gets wrong:
 *  - quotes: words inside quotation marks are someone else's (or a remembered phrase), not the writer's claim;
 *  - negations and reframes: "I don't think everyone hates me" or "I used to believe I was a failure";
 *  - plans versus demands: "I should call the dentist" is a to-do, "I should be over this by now" is a rule.
 */

export const DISTORTION_LABELS = [
  "all_or_nothing",
  "catastrophising",
  "mind_reading",
  "fortune_telling",
  "overgeneralisation",
  "labelling",
  "personalisation",
  "should_statements",
  "emotional_reasoning",
  "mental_filter",
] as const;
export const distortionLabelSchema = z.enum(DISTORTION_LABELS);
export type DistortionLabel = z.infer<typeof distortionLabelSchema>;

export const distortionPatternSchema = z.object({
  label: distortionLabelSchema,
  /** How clearly the text shows the pattern, 0..1; more independent matches raise it. */
  score: z.number().min(0).max(1),
  /** The phrase that matched most clearly, as written. */
  evidence: z.string().min(1),
  /** How many separate places in the text showed it. */
  occurrences: z.number().int().positive(),
});
export type DistortionPattern = z.infer<typeof distortionPatternSchema>;

export const distortionResultSchema = z.object({ patterns: z.array(distortionPatternSchema) });
export type DistortionResult = z.infer<typeof distortionResultSchema>;

interface Rule {
  label: DistortionLabel;
  pattern: RegExp;
  /** Confidence of one match of this rule. */
  weight: number;
  /** The pattern is a question by nature ("what if…?"), so a question mark does not soften it. */
  asks?: boolean;
  /** Skip a match when the words just before it fit this (e.g. "thinks" before "I'm useless": mind reading). */
  notAfter?: RegExp;
}

// Word lists shared by several rules; kept small and explicit so false positives can be traced.
const negativeLabel =
  "failure|loser|idiot|moron|fraud|disappointment|burden|mess|joke|waste of space|bad person|terrible person|horrible person|fake|nobody";
const negativeTrait =
  "stupid|worthless|useless|pathetic|hopeless|unlovable|broken|defective|incompetent|a failure|a loser|an idiot|a fraud|a burden|not good enough|ugly|boring|annoying|weird";
const others =
  "(?:they|he|she|everyone|everybody|people|nobody|no one|my (?:boss|manager|friends?|partner|colleagues?|coworkers?|mum|mom|dad|parents|teacher|family|sister|brother|wife|husband|girlfriend|boyfriend))(?: (?:at|in|from|on) (?:the |my |this |that |our )?[a-z]+)?";
const failureVerbs =
  "fail|fails|mess up|messes up|mess things up|screw up|screws up|ruin|ruins|get it wrong|gets it wrong|say the wrong thing|let (?:people|everyone|them) down|end up alone|forget|lose|make mistakes|mess everything up";

/** "She thinks I'm useless" is mind reading (or a report), not the writer labelling themselves. */
const reportedThought =
  /\b(?:think|thinks|thought|believes?|says?|said|calls?|called|sees?|finds?)(?: that)?$/;

const rules: readonly Rule[] = [
  // All-or-nothing: two boxes only, perfect or worthless.
  {
    label: "all_or_nothing",
    pattern: /\b(?:complete|total|utter|absolute|100%)\s+(?:failure|waste|mess|loser)\b/,
    weight: 0.75,
  },
  {
    label: "all_or_nothing",
    pattern: /\b(?:completely|totally|utterly|entirely)\s+(?:useless|worthless|pointless|ruined|hopeless)\b/,
    weight: 0.7,
  },
  {
    label: "all_or_nothing",
    pattern:
      /\b(?:if (?:it'?s|it is|i'?m|i am) not (?:perfect|the best)|(?:either|it'?s) (?:perfect|flawless)\b[^.!?]{0,40}\bor)\b[^.!?]{0,50}/,
    weight: 0.8,
  },
  {
    label: "all_or_nothing",
    pattern:
      /\b(?:one|a single|one single|a tiny) (?:mistake|error|slip|bad (?:day|grade|comment))\b[^.!?]{0,40}\b(?:ruin(?:s|ed)?|means? i'?m|makes? me|cancels? out|undo(?:es)?|wipes? out)\b[^.!?,]{0,30}/,
    weight: 0.8,
  },
  {
    label: "all_or_nothing",
    pattern: /\b(?:ruined everything|everything is ruined|nothing (?:i do )?(?:is|was) ever good enough)\b/,
    weight: 0.75,
  },

  // Catastrophising: the worst case treated as the expected case, and as unbearable.
  {
    label: "catastrophising",
    pattern:
      /\b(?:(?:this|it|that) (?:is|was|will be|would be|'?s|'?ll be) (?:a |an )?(?:complete |total |absolute )?(?:disaster|catastrophe|catastrophic|nightmare|the end of the world))\b/,
    weight: 0.75,
  },
  {
    label: "catastrophising",
    pattern:
      /\bwhat if\b[^.!?]{0,60}\b(?:die|dies|dying|lose everything|lose my (?:job|home|house|mind)|get fired|fired|ruin(?:ed)?|the worst|never recover|end up (?:alone|homeless|on the street))\b/,
    weight: 0.7,
    asks: true,
  },
  {
    label: "catastrophising",
    pattern:
      /\b(?:ruin(?:ed|s)? my (?:whole |entire )?(?:life|career|future)|my (?:life|career|future) is (?:over|ruined|finished)|i'?ll (?:never recover|lose everything|end up (?:alone|homeless|on the street)))\b/,
    weight: 0.8,
  },
  {
    label: "catastrophising",
    pattern: /\bi (?:can'?t|cannot|couldn'?t) (?:bear|stand|survive|handle|cope with) (?:it|this|that)\b/,
    weight: 0.55,
  },

  // Mind reading: claims about what others think, without evidence.
  {
    label: "mind_reading",
    pattern: new RegExp(
      String.raw`\b(?:${others}) (?:all |probably |must |definitely |obviously |clearly |secretly |just )?(?:think|thinks|thought|believes?|sees?|finds?|considers?) (?:that )?(?:i'?m|i am|i was|me(?: as)?) (?:so |really |such )?(?:${negativeTrait}|a joke|pathetic|too much|an? (?:idiot|loser|failure|fraud|burden))\b`,
    ),
    weight: 0.85,
  },
  {
    label: "mind_reading",
    pattern: new RegExp(
      String.raw`\b(?:i (?:just )?know|i can tell|i'?m (?:sure|certain)|i bet|obviously) (?:that )?(?:${others}) (?:all )?(?:hates?|dislikes?|(?:is|are|was|were) (?:annoyed|angry|disappointed|bored|fed up) (?:with|by) me|(?:doesn'?t|don'?t|didn'?t) (?:like|want|care about|respect) me|(?:is|are) judging me|(?:thinks?|thought) (?:i'?m|i am|i was))\b`,
    ),
    weight: 0.85,
  },
  {
    label: "mind_reading",
    pattern: new RegExp(
      String.raw`\b(?:${others})(?:'re|'s| are| is)? (?:all |must |probably |secretly )?(?:hates? me|(?:is |are )?(?:judging|laughing at) me|laugh(?:s|ed)? at me behind my back|(?:must be|are probably|is probably) (?:annoyed|angry|disappointed|bored|sick of me|fed up with me))\b`,
    ),
    weight: 0.65,
  },

  // Fortune telling: predicting a bad outcome as if it were certain.
  {
    label: "fortune_telling",
    pattern:
      /\bi(?:'ll| will) (?:never|always) (?:be|get|find|have|make|succeed|change|amount|feel|fit in|be able)\b[^.!?,]{0,40}/,
    weight: 0.8,
  },
  {
    label: "fortune_telling",
    pattern:
      /\b(?:it'?s|it is|this is|that'?s|that is|tomorrow is|the (?:interview|meeting|exam|date|party|presentation) is) (?:going to|gonna) (?:be (?:a )?(?:terrible|awful|horrible|a disaster|disastrous|humiliating|a nightmare)|go (?:wrong|badly|terribly)|fail)\b/,
    weight: 0.8,
  },
  {
    label: "fortune_telling",
    pattern:
      /\bi'?m (?:definitely |certainly |just )?(?:going to|gonna) (?:fail|mess (?:it|this|everything) up|screw (?:it|this|everything) up|embarrass myself|make a fool of myself|get fired|be rejected|blow it|bomb)\b/,
    weight: 0.8,
  },
  {
    label: "fortune_telling",
    pattern:
      /\b(?:nothing|it|things) (?:will|'ll|is going to|are going to|'s going to) (?:ever |never )?(?:work out|change|get better|improve|work)\b[^.!?,]{0,20}/,
    weight: 0.65,
  },
  {
    label: "fortune_telling",
    pattern: /\bthere'?s no (?:point|hope)(?: in (?:trying|even trying))?\b/,
    weight: 0.6,
  },

  // Overgeneralisation: one event turned into a never-ending pattern.
  {
    label: "overgeneralisation",
    pattern: new RegExp(
      String.raw`\b(?:i|this|it|things|he|she|they) (?:always|never|constantly) (?:${failureVerbs}|happens to me|goes wrong|go wrong|works out for me|get(?:s)? anything right|do(?:es)? anything right)\b`,
    ),
    weight: 0.75,
  },
  {
    label: "overgeneralisation",
    pattern:
      /\b(?:nobody|no one|noone) (?:ever )?(?:likes|loves|cares about|listens to|understands|wants|calls|texts|helps|notices|invites|remembers) me\b/,
    weight: 0.8,
  },
  {
    label: "overgeneralisation",
    pattern:
      /\b(?:everyone|everybody|people) (?:always )?(?:hates|leaves|abandons|rejects|ignores|uses|lets down) me\b/,
    weight: 0.75,
  },
  {
    label: "overgeneralisation",
    pattern:
      /\b(?:every (?:single )?time|whenever) i (?:try|do|say|open up|speak up|trust)\b[^.!?]{0,40}\b(?:fail|goes wrong|go wrong|mess|ruin|get hurt|end badly|ends badly|disaster)\w*/,
    weight: 0.75,
  },
  {
    label: "overgeneralisation",
    pattern: /\bi (?:can'?t|cannot|never) do anything right\b/,
    weight: 0.8,
  },
  {
    label: "overgeneralisation",
    pattern: /\b(?:this|it|that) always happens to me\b/,
    weight: 0.7,
  },

  // Labelling: a whole person summed up by one word.
  {
    label: "labelling",
    pattern: new RegExp(
      String.raw`\b(?:i'?m|i am) (?:just |such |nothing but |a |an )*(?:complete |total |absolute |utter |useless |pathetic |stupid )?(?:a |an )?(?:${negativeLabel})\b`,
    ),
    weight: 0.85,
    notAfter: reportedThought,
  },
  {
    label: "labelling",
    pattern:
      /\b(?:i'?m|i am) (?:so |such an? |just |really |completely |totally )?(?:stupid|worthless|useless|pathetic|hopeless|unlovable|defective|incompetent|a failure)\b/,
    weight: 0.75,
    notAfter: reportedThought,
  },
  {
    label: "labelling",
    pattern: /\bwhat an? (?:idiot|loser|failure|moron) i am\b/,
    weight: 0.85,
  },
  {
    label: "labelling",
    pattern:
      /\b(?:he'?s|she'?s|they'?re|he is|she is|they are) (?:just |such )?(?:a |an )?(?:complete |total |absolute )?(?:idiot|jerk|loser|monster|narcissist|failure|moron|psycho)s?\b/,
    weight: 0.6,
  },

  // Personalisation: taking the blame for what one does not control.
  {
    label: "personalisation",
    pattern:
      /\b(?:it'?s|it is|it was|this is|that'?s|that is|everything is|everything'?s) (?:all |entirely |completely )?my fault\b/,
    weight: 0.8,
  },
  {
    label: "personalisation",
    pattern: new RegExp(
      String.raw`\b(?:${others}) (?:is|are|was|were|'?s|'?re|must be|seemed?) (?:so |really )?(?:upset|angry|sad|mad|quiet|annoyed|unhappy|stressed|in a bad mood|distant)\b[^.!?]{0,20}\b(?:because of me|it'?s (?:my fault|because of me)|because i)\b`,
    ),
    weight: 0.8,
  },
  {
    label: "personalisation",
    pattern:
      /\b(?:if (?:only )?i had(?:n'?t)?|i should have been there)\b[^.!?]{0,60}\b(?:wouldn'?t have|would still be|would have been (?:fine|okay|ok|alive)|none of this)\b/,
    weight: 0.7,
  },
  {
    label: "personalisation",
    pattern:
      /\b(?:i'?m|i am) (?:the reason|to blame|responsible) (?:for |why )?(?:their|his|her|the|everyone'?s|everything)\b[^.!?,]{0,30}/,
    weight: 0.75,
  },
  {
    label: "personalisation",
    pattern:
      /\b(?:because of me|i ruined (?:the|their|his|her|everyone'?s) (?:day|evening|night|party|trip|holiday|weekend|dinner|life|lives))\b/,
    weight: 0.7,
  },

  // Should statements: rigid rules about how one (or others) must be.
  {
    label: "should_statements",
    pattern:
      /\b(?:i|you|he|she|they|we) (?:should|must|ought to|need to|have to)(?: (?:really|always|never))? be (?:better|stronger|able to|over (?:it|this|him|her)|happier|thinner|perfect|more|less|doing better|coping|fine|further along)\b[^.!?,]{0,30}/,
    weight: 0.8,
  },
  {
    label: "should_statements",
    pattern:
      /\b(?:i|you|he|she|they) (?:should(?:'ve| have)|shouldn'?t have|must have|ought to have) (?:known|seen|realised|realized|done better|noticed|stopped|prevented|been (?:able|stronger|there))\b[^.!?,]{0,30}/,
    weight: 0.75,
  },
  {
    label: "should_statements",
    pattern:
      /\b(?:i|you) (?:shouldn'?t|mustn'?t|should not|must not) (?:feel|be (?:upset|sad|angry|anxious|tired|struggling)|need (?:help|anyone)|cry|complain|make (?:any )?mistakes)\b[^.!?,]{0,20}/,
    weight: 0.8,
  },
  {
    label: "should_statements",
    pattern:
      /\b(?:i|you) (?:must|should|have to) (?:never|always) (?:make|fail|let|show|be|need|ask|feel|get)\b[^.!?,]{0,30}/,
    weight: 0.75,
  },
  {
    label: "should_statements",
    pattern:
      /\b(?:people|everyone|he|she|they) (?:should|shouldn'?t|ought to) (?:know better|treat me|respect me|understand|always|never)\b[^.!?,]{0,20}/,
    weight: 0.6,
  },

  // Emotional reasoning: a feeling taken as proof.
  {
    label: "emotional_reasoning",
    pattern:
      /\bi feel (?:like )?(?:such )?(?:a |an )?[a-z]+(?: [a-z]+){0,2},? (?:so|therefore|which means|that means|so it means) (?:i|it|that|this|they|he|she|everyone) (?:must|am|is|are|really)\b[^.!?,]{0,30}/,
    weight: 0.85,
  },
  {
    label: "emotional_reasoning",
    pattern:
      /\b(?:because|since|if) i feel (?:like )?(?:a |an |so )?[a-z]+(?: [a-z]+){0,3},? (?:it|i|that|this|then it|then i|they|something(?: bad| terrible| awful| wrong)?) (?:must|means|has to)\b[^.!?,]{0,30}/,
    weight: 0.85,
  },
  {
    label: "emotional_reasoning",
    pattern:
      /\b(?:it|this|that) feels (?:so )?(?:true|real|bad|wrong|hopeless|dangerous),? so (?:it|this|that) (?:must|is)\b[^.!?,]{0,20}/,
    weight: 0.8,
  },
  {
    label: "emotional_reasoning",
    pattern:
      /\bmy (?:feelings?|gut|anxiety|fear) (?:tells?|told|says?|said|proves?) (?:me )?(?:that )?(?:i'?m|i am|it'?s|it is|something|they)\b[^.!?,]{0,30}/,
    weight: 0.7,
  },

  // Mental filter: one negative detail colours the whole picture.
  {
    label: "mental_filter",
    pattern:
      /\ball i (?:can |could )?(?:think about|remember|focus on|see|hear|notice)\b[^.!?]{0,15}\b(?:is|was|are|were)\b[^.!?]{0,30}\b(?:mistake|criticism|bad|negative|wrong|flaw|failure|error|comment|awkward)\w*/,
    weight: 0.8,
  },
  {
    label: "mental_filter",
    pattern:
      /\b(?:the (?:one|only|single) (?:thing|mistake|bad|negative|criticism|comment|error|awkward moment)|one (?:bad|negative|critical) (?:comment|review|remark|moment))\b[^.!?]{0,50}\b(?:ruined|all i|keep thinking|can'?t stop thinking|stuck with me|is what matters|that'?s what counts|overshadow\w*)\b/,
    weight: 0.8,
  },
  {
    label: "mental_filter",
    pattern:
      /\b(?:the )?(?:good|great|nice|positive|kind) (?:things|feedback|comments|parts|bits|stuff|reviews)\b[^.!?]{0,40}\b(?:don'?t|doesn'?t|didn'?t|do not|does not) (?:count|matter|mean anything)\b/,
    weight: 0.8,
  },
  {
    label: "mental_filter",
    pattern:
      /\b(?:(?:even though|although|despite)\b[^.!?]{0,80}\b(?:all i|i (?:can )?only) (?:remember|think about|focus on|see|notice))\b[^.!?,]{0,30}/,
    weight: 0.75,
  },
];

/**
 * Cues that the writer is denying, questioning or looking back on the thought rather than holding it.
 * Looked for in the few words before a match, within its clause.
 */
const distancingCue =
  /(?:\bnot\b|n'?t\b|\bno longer\b|\bnever (?:said|thought|believed)\b|\bused to (?:think|believe|feel|tell myself)\b|\bstopped (?:thinking|believing|telling myself)\b|\binstead of (?:thinking|saying|telling myself)\b|\brather than (?:thinking|saying|telling myself)\b|\bisn'?t true that\b|\bit'?s not true that\b|\bunlikely that\b|\bno evidence that\b|\bdoubt that\b)/;

/** Quoted spans are someone else's words or remembered phrases; blanked out so offsets still line up. */
function maskQuotes(text: string): string {
  return text.replace(/"[^"\n]{1,300}"|“[^”\n]{1,300}”|«[^»\n]{1,300}»/g, (span) => " ".repeat(span.length));
}

/** Lower-cases and straightens apostrophes without changing length, so match offsets index the original. */
function normalise(text: string): string {
  return maskQuotes(text)
    .toLowerCase()
    .replace(/[’‘`´]/g, "'");
}

const CLAUSE_BOUNDARY = /[.!?;:,\n]|\bbut\b/g;

function clauseStart(text: string, index: number): number {
  let start = 0;
  CLAUSE_BOUNDARY.lastIndex = 0;
  for (let m = CLAUSE_BOUNDARY.exec(text); m !== null && m.index < index; m = CLAUSE_BOUNDARY.exec(text)) {
    start = m.index + m[0].length;
  }
  return start;
}

function isDistanced(normalised: string, matchIndex: number, match: string, rule: Rule): boolean {
  const start = clauseStart(normalised, matchIndex);
  const before = normalised.slice(start, matchIndex).split(/\s+/).filter(Boolean).slice(-6).join(" ");
  if (distancingCue.test(before)) return true;
  if (rule.notAfter?.test(before)) return true;
  if (rule.asks) return false;
  // A question asks, it does not assert: "Am I always going to feel like this?" is left alone.
  const sentenceEnd = normalised.slice(matchIndex + match.length).search(/[.!?\n]/);
  return sentenceEnd >= 0 && normalised[matchIndex + match.length + sentenceEnd] === "?";
}

const MAX_TEXT = 100_000;
const MAX_EVIDENCE_LENGTH = 160;

/**
 * Finds thinking traps in a text. Deterministic: the same text always yields the same patterns, ordered by
 * score (highest first), then by label.
 */
export function detectDistortions(text: string): DistortionResult {
  const source = text.slice(0, MAX_TEXT);
  const normalised = normalise(source);
  const found = new Map<DistortionLabel, { weights: number[]; evidence: string[]; seen: Set<number> }>();

  for (const rule of rules) {
    const global = new RegExp(rule.pattern.source, "g");
    for (const match of normalised.matchAll(global)) {
      const index = match.index ?? 0;
      const phrase = match[0].trim();
      if (phrase.length === 0 || isDistanced(normalised, index, match[0], rule)) continue;
      const entry = found.get(rule.label) ?? { weights: [], evidence: [], seen: new Set<number>() };
      // Two rules matching the same spot are one piece of evidence, not two.
      if ([...entry.seen].some((at) => Math.abs(at - index) < 8)) continue;
      entry.seen.add(index);
      entry.weights.push(rule.weight);
      const original = source
        .slice(index, index + match[0].length)
        .trim()
        .replace(/[\s,;:]+$/, "");
      entry.evidence.push(original.slice(0, MAX_EVIDENCE_LENGTH));
      found.set(rule.label, entry);
    }
  }

  const patterns: DistortionPattern[] = [...found.entries()].map(([label, entry]) => {
    // Independent matches combine like probabilities: two 0.7 matches give 0.91, never more than 0.99.
    const miss = entry.weights.reduce((product, weight) => product * (1 - weight), 1);
    const strongest = entry.weights.indexOf(Math.max(...entry.weights));
    return {
      label,
      score: Math.min(0.99, Number((1 - miss).toFixed(2))),
      evidence: entry.evidence[strongest] as string,
      occurrences: entry.weights.length,
    };
  });
  patterns.sort((a, b) => b.score - a.score || a.label.localeCompare(b.label));
  return { patterns };
}
