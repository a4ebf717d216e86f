import {
  CHAT_SUGGESTION_MAX_CHARS,
  CHAT_SUGGESTIONS_MAX,
  keywordSessionTitle,
  type SessionType,
} from "@inkwell/shared";

/**
 * Follow-up questions offered after a reply. They are composed here rather than asked of the model: a
 * second generation would double the node time of every reply, and a question built from the session's
 * kind and what the reply leaned on (an entry, a technique, a thinking pattern, the words it was about)
 * is always there, even when no node is.
 */

const BY_TYPE: Record<SessionType, readonly string[]> = {
  reflection_buddy: [
    "What does this say about what matters to me?",
    "Can you sum up what I have said so far?",
    "How did I feel about this the last time I wrote about it?",
    "What am I not noticing here?",
  ],
  inner_voice: [
    "What would a kind friend say to me about this?",
    "Is my inner critic being fair here?",
    "How could I say this to myself more gently?",
    "Where did I first learn to talk to myself like this?",
  ],
  growth_challenge: [
    "What is one small step I could take tomorrow?",
    "What might get in the way, and how do I plan for it?",
    "How will I know it is working?",
    "Can we make that step even smaller?",
  ],
  pattern_detective: [
    "Where else does this pattern show up in my entries?",
    "What tends to come before this feeling?",
    "When did this start appearing in my journal?",
    "Is there an exception to this pattern?",
  ],
  free_chat: [
    "Can you tell me more?",
    "What have I written about this before?",
    "What could I write about today?",
    "What should I keep in mind about this?",
  ],
};

/** Offered instead after a reply in crisis mode: only ways toward support, nothing to analyse. */
export const CRISIS_SUGGESTIONS = [
  "Where can I find support right now?",
  "Can you help me think of someone I could reach out to?",
  "Can we slow down for a moment?",
] as const;

/** Conversational words that make a poor subject for a question. */
const FILLER = new Set([
  "sounds",
  "really",
  "feel",
  "feels",
  "feeling",
  "something",
  "things",
  "thing",
  "maybe",
  "perhaps",
  "today",
  "entry",
  "entries",
  "journal",
  "language",
  "model",
  "available",
  "found",
  "notes",
  "right",
  "could",
  "would",
  "might",
  "seems",
  "think",
  "noticed",
  "notice",
]);

export interface SuggestionInput {
  type: SessionType;
  /** The reply as stored; citation markers are dropped before its words are read. */
  reply: string;
  /** What the writer asked; its words stand in when the reply was assembled without a model. */
  userMessage: string;
  generated: boolean;
  crisis: boolean;
  citedEntry: boolean;
  citedKnowledge: boolean;
  usedPatterns: boolean;
  /** Varies which of the type's questions come up (the message id), so turns do not all read alike. */
  seed: string;
}

function topicWord(text: string): string | undefined {
  const words = keywordSessionTitle([text.replace(/\[(?:entry|kb):[^\]]*\]/g, " ")]).tags;
  return words.find((w) => !FILLER.has(w) && /^\p{L}[\p{L}-]*$/u.test(w) && w.length <= 24);
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h;
}

export function followUpSuggestions(input: SuggestionInput): string[] {
  if (input.crisis) return [...CRISIS_SUGGESTIONS];
  const picked: string[] = [];
  const add = (q: string) => {
    if (picked.length < CHAT_SUGGESTIONS_MAX && q.length <= CHAT_SUGGESTION_MAX_CHARS && !picked.includes(q))
      picked.push(q);
  };
  const word = topicWord(input.generated ? input.reply : input.userMessage);
  if (word) add(`What have I written about ${word} before?`);
  if (input.usedPatterns) add("Where else does this pattern show up in my entries?");
  else if (input.citedKnowledge) add("How could I try this technique this week?");
  else if (input.citedEntry) add("What else was going on when I wrote that entry?");
  const own = BY_TYPE[input.type];
  const start = hash(input.seed) % own.length;
  for (let i = 0; i < own.length && picked.length < CHAT_SUGGESTIONS_MAX; i++)
    add(own[(start + i) % own.length] ?? "");
  return picked.filter((q) => q.length > 0);
}
