import { z } from "zod";

/**
 * Naming a chat session: the `title-session` job contract between the edge and a node, the strict reading
 * of a model's answer, and the deterministic keyword title that both sides fall back to (the node when the
 * model's answer is unusable, the edge when no node serves a language model).
 */

/** User messages a session needs before it is named. */
export const SESSION_TITLE_AFTER_USER_MESSAGES = 3;
/** Bounds of what the job carries: the opening of the conversation is enough to name it. */
export const SESSION_TITLE_MAX_MESSAGES = 6;
export const SESSION_TITLE_MAX_MESSAGE_CHARS = 800;
export const SESSION_TITLE_MAX_CHARS = 60;
export const SESSION_TAG_MAX_CHARS = 24;
export const SESSION_MAX_TAGS = 3;

/** `POST /jobs/title-session` (QStash): the session's first messages. */
export const titleSessionJobSchema = z.object({
  jobId: z.string().min(1).max(200),
  attempt: z.number().int().positive().optional(),
  sessionId: z.string().min(1).max(200),
  messages: z
    .array(
      z.object({
        role: z.enum(["user", "assistant"]),
        content: z.string().min(1).max(SESSION_TITLE_MAX_MESSAGE_CHARS),
      }),
    )
    .min(1)
    .max(SESSION_TITLE_MAX_MESSAGES),
});
export type TitleSessionJob = z.infer<typeof titleSessionJobSchema>;

const tagSchema = z
  .string()
  .min(1)
  .max(SESSION_TAG_MAX_CHARS)
  .regex(/^[\p{Ll}\p{N}][\p{Ll}\p{N}-]*$/u);

/** The node's answer: a short title, up to three lowercase tags, and whether a model or the keywords made it. */
export const titleSessionResultSchema = z.object({
  jobId: z.string().min(1).max(200),
  sessionId: z.string().min(1).max(200),
  title: z.string().min(1).max(SESSION_TITLE_MAX_CHARS),
  tags: z.array(tagSchema).max(SESSION_MAX_TAGS),
  source: z.enum(["llm", "keywords"]),
  /** `backend:model` when a model wrote it. */
  model: z.string().max(200).optional(),
});
export type TitleSessionResult = z.infer<typeof titleSessionResultSchema>;

export interface SessionTitle {
  title: string;
  tags: string[];
}

const STOPWORDS = new Set(
  "about above after again against because been before being below between both could didn does doing down during each from further have having here hers herself himself into itself just more most myself once only other ought ours ourselves over same should some such than that their theirs them themselves then there these they this those through under until very were what when where which while whom with would your yours yourself yourselves really feel feeling felt think thing things today still even much something anything everything maybe like want know going gonna wanna kind sort also back make made getting lot lots well yeah okay always never".split(
    " ",
  ),
);

/** Control characters, markup and quoting a model likes to wrap a title in. */
function clean(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[\p{Cc}\p{Cf}]/gu, " ")
    .replace(/[<>{}[\]`*_#|\\]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** A title fit to show: one line, no markup, no wrapping quotes or trailing full stop, within bounds. */
export function sanitizeSessionTitle(raw: string): string | undefined {
  let title = clean(raw)
    .replace(/^(?:title\s*[:\-–]\s*)/i, "")
    .replace(/^["'“”‘’«»]+|["'“”‘’«»]+$/g, "")
    .replace(/[.。!]+$/u, "")
    .trim();
  if (title.length > SESSION_TITLE_MAX_CHARS) {
    const cut = title.slice(0, SESSION_TITLE_MAX_CHARS + 1);
    const space = cut.lastIndexOf(" ");
    title = (space > 20 ? cut.slice(0, space) : cut.slice(0, SESSION_TITLE_MAX_CHARS)).trim();
  }
  // A title needs some letters; a model that answered with punctuation or digits has not named anything.
  if ((title.match(/\p{L}/gu) ?? []).length < 3) return undefined;
  return title;
}

/** Lowercase single words or hyphenated phrases, deduplicated, at most three. */
export function sanitizeSessionTags(raw: readonly unknown[]): string[] {
  const tags: string[] = [];
  for (const value of raw) {
    if (typeof value !== "string") continue;
    const tag = clean(value)
      .toLowerCase()
      .replace(/^#+/, "")
      .replace(/\s+/g, "-")
      .replace(/[^\p{Ll}\p{N}-]/gu, "")
      .replace(/-{2,}/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, SESSION_TAG_MAX_CHARS)
      .replace(/-+$/, "");
    if (tag.length < 2 || !/^[\p{Ll}\p{N}]/u.test(tag) || tags.includes(tag)) continue;
    tags.push(tag);
    if (tags.length === SESSION_MAX_TAGS) break;
  }
  return tags;
}

const modelAnswerSchema = z.object({ title: z.string(), tags: z.array(z.unknown()).optional() });

/**
 * Reads a model's answer strictly: the first JSON object in it with a string `title` (and optionally
 * `tags`), sanitised. Anything else — prose, a title of symbols, broken JSON — is unusable.
 */
export function parseSessionTitleAnswer(text: string): SessionTitle | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length && i < start + 2000; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) {
      let json: unknown;
      try {
        json = JSON.parse(text.slice(start, i + 1));
      } catch {
        return undefined;
      }
      const parsed = modelAnswerSchema.safeParse(json);
      if (!parsed.success) return undefined;
      const title = sanitizeSessionTitle(parsed.data.title);
      if (!title) return undefined;
      return { title, tags: sanitizeSessionTags(parsed.data.tags ?? []) };
    }
  }
  return undefined;
}

/**
 * The deterministic title: the most frequent telling words of what the person wrote (ties broken
 * alphabetically), no model needed. Falls back to the opening words of the first message, then to a
 * plain "Conversation", so a session always gets a title.
 */
export function keywordSessionTitle(userTexts: readonly string[]): SessionTitle {
  const counts = new Map<string, number>();
  for (const word of userTexts
    .join(" ")
    .toLowerCase()
    .match(/\p{L}[\p{L}'’-]{3,}/gu) ?? []) {
    const bare = word.replace(/['’-]+$/u, "");
    if (bare.length > 3 && !STOPWORDS.has(bare)) counts.set(bare, (counts.get(bare) ?? 0) + 1);
  }
  const words = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, SESSION_MAX_TAGS)
    .map(([word]) => word);
  const tags = sanitizeSessionTags(words);
  if (words.length > 0) {
    const title = sanitizeSessionTitle(
      words.map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w)).join(", "),
    );
    if (title) return { title, tags };
  }
  const opening = clean(userTexts[0] ?? "")
    .split(" ")
    .slice(0, 6)
    .join(" ");
  return { title: sanitizeSessionTitle(opening) ?? "Conversation", tags };
}
