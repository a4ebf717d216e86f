import {
  contentStems,
  type DraftTagSuggestionRequest,
  type DraftTagSuggestions,
  ENTRY_CONTENT_MAX_BYTES,
  type EntryTagSuggestions,
  extractKeywords,
  InkwellError,
  type SuggestedTag,
  TAG_MAX_LENGTH,
} from "@inkwell/shared";
import { asc, eq, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { topics } from "../db/schema/index.ts";
import { findEntry } from "./entries.ts";
import { openTopicFields } from "./topic-fields.ts";

/**
 * Tag and topic suggestions without a model: the words an entry's analysis found (or, before it lands,
 * the same keyword extractor run here), and the writer's own tags and topics whose words the text has.
 * Everything is read for the one writer only.
 */

/** The writer's most used tags are the ones compared with a text; a long tail of one-offs is not. */
const WRITER_TAGS_LOOKED_AT = 500;
const DRAFT_TOPICS_MAX = 5;
const DEFAULT_LIMIT = 8;
const KEYWORDS_PER_TEXT = 8;

interface WriterTag {
  tag: string;
  entryCount: number;
}

/** The writer's tags over their live entries, most used first. */
async function writerTags(db: Database, userId: string): Promise<WriterTag[]> {
  const rows = await db.execute<{ tag: string; entryCount: number }>(sql`
    select t.tag, count(*)::int as "entryCount"
    from entries e cross join lateral unnest(e.tags) as t(tag)
    where e.user_id = ${userId}::uuid and e.deleted_at is null
    group by t.tag
    order by count(*) desc, t.tag
    limit ${WRITER_TAGS_LOOKED_AT}`);
  return rows.map((row) => ({ tag: row.tag, entryCount: row.entryCount }));
}

/** A tag's words, stemmed; a tag of no content word (e.g. "me") is never matched by words. */
function tagStems(tag: string): string[] {
  return [...contentStems(tag.replace(/[-_/]+/g, " "))];
}

/** The writer's tags whose every word the text has (by stem), most used first. */
function matchingWriterTags(tags: readonly WriterTag[], textStems: ReadonlySet<string>): SuggestedTag[] {
  const found: SuggestedTag[] = [];
  for (const { tag, entryCount } of tags) {
    const stems = tagStems(tag);
    if (stems.length > 0 && stems.every((stem) => textStems.has(stem))) {
      found.push({ tag, source: "your-tag", entryCount });
    }
  }
  return found;
}

/** A discovered topic's label is a few terms ("half marathon, pace"): its first term reads as a tag. */
function topicTag(name: string): string {
  return (name.split(",")[0] ?? name).trim().toLowerCase().slice(0, TAG_MAX_LENGTH).trim();
}

/**
 * Candidates in order, less the tags already chosen and repeats: a candidate whose words are all among a
 * chosen tag's words (by stem) adds nothing ("deadlines" beside "deadline").
 */
function pick(candidates: readonly SuggestedTag[], chosen: readonly string[], limit: number): SuggestedTag[] {
  const taken = new Set(chosen.map((tag) => tag.toLowerCase()));
  const takenStems = new Set(chosen.flatMap(tagStems));
  const out: SuggestedTag[] = [];
  for (const candidate of candidates) {
    if (out.length === limit) break;
    const tag = candidate.tag.toLowerCase();
    const stems = tagStems(tag);
    if (!tag || taken.has(tag) || (stems.length > 0 && stems.every((s) => takenStems.has(s)))) continue;
    out.push({ ...candidate, tag });
    taken.add(tag);
    for (const stem of stems) takenStems.add(stem);
  }
  return out;
}

const keywordTags = (keywords: readonly string[]): SuggestedTag[] =>
  keywords.map((keyword) => ({ tag: keyword.slice(0, TAG_MAX_LENGTH), source: "keyword" as const }));

/**
 * Suggestions for a saved entry: the writer's own tags its text has, the discovered topics its analysis
 * put it in, and its analysis' keywords (keywords of the current text while the analysis is pending or
 * failed); none the entry already has. 404 for an entry that is not the writer's.
 */
export async function entryTagSuggestions(
  db: Database,
  keys: KeySource,
  userId: string,
  entryId: string,
  limit: number = DEFAULT_LIMIT,
): Promise<EntryTagSuggestions> {
  const entry = await findEntry(db, keys, userId, entryId);
  if (!entry) throw new InkwellError("NOT_FOUND", "No entry with that id.");
  const text = `${entry.title ?? ""}\n${entry.content}`;
  const analysed = entry.analysis.status === "done";
  const keywords = analysed ? (entry.analysis.keywords ?? []) : extractKeywords(text, KEYWORDS_PER_TEXT);
  const topicTags: SuggestedTag[] = analysed
    ? (entry.analysis.topics ?? []).map((topic) => ({
        tag: topicTag(topic.name),
        source: "topic" as const,
        topicId: topic.id,
      }))
    : [];
  const own = matchingWriterTags(await writerTags(db, userId), contentStems(text));
  return {
    entryId: entry.id,
    basis: analysed ? "analysis" : "text",
    tags: entry.tags,
    items: pick([...own, ...topicTags, ...keywordTags(keywords)], entry.tags, limit),
  };
}

/**
 * Suggestions for a draft: its keywords (the extractor an analysis uses), the writer's tags its words
 * match, and the writer's topics sharing its words (a made topic by a word of its name; a discovered one by
 * its name or two of its keywords).
 */
export async function draftTagSuggestions(
  db: Database,
  keys: KeySource,
  userId: string,
  draft: DraftTagSuggestionRequest,
): Promise<DraftTagSuggestions> {
  if (new TextEncoder().encode(draft.content).length > ENTRY_CONTENT_MAX_BYTES) {
    throw new InkwellError("PAYLOAD_TOO_LARGE", "Draft content is limited to 64 KiB, as entries are.", {
      errors: [{ path: "content", message: "longer than 64 KiB" }],
    });
  }
  const text = `${draft.title ?? ""}\n${draft.content}`;
  const stems = contentStems(text);
  const keywords = extractKeywords(text, KEYWORDS_PER_TEXT);
  const [ownTags, storedTopics] = await Promise.all([
    writerTags(db, userId),
    db
      .select({
        id: topics.id,
        name: topics.name,
        kind: topics.kind,
        keywords: topics.keywords,
        keywordsCt: topics.keywordsCt,
      })
      .from(topics)
      .where(eq(topics.userId, userId))
      .orderBy(asc(topics.name), asc(topics.id)),
  ]);
  // A discovered topic's keywords are sealed with the writer's key (topic-fields.ts).
  const ownTopics = await Promise.all(
    storedTopics.map(async (topic) => ({
      ...topic,
      keywords:
        topic.kind === "discovered"
          ? (
              await openTopicFields(keys, {
                ...topic,
                userId,
                description: null,
                descriptionCt: null,
              })
            ).keywords
          : null,
    })),
  );
  const chosen = draft.tags ?? [];
  const tags = pick(
    [...matchingWriterTags(ownTags, stems), ...keywordTags(keywords)],
    chosen,
    draft.limit ?? DEFAULT_LIMIT,
  );

  const matchedTopics = ownTopics
    .map((topic) => {
      const nameWords = [...contentStems(topic.name.replace(/[,·]/g, " "))];
      const byName = nameWords.filter((stem) => stems.has(stem));
      const byKeyword =
        topic.kind === "discovered"
          ? (topic.keywords ?? [])
              .map((keyword) => keyword.toLowerCase())
              .filter((keyword) => {
                const words = tagStems(keyword);
                return (
                  words.length > 0 &&
                  words.every((stem) => stems.has(stem)) &&
                  words.some((stem) => !byName.includes(stem))
                );
              })
          : [];
      const matched = [...new Set([...byName, ...byKeyword])];
      const fits = byName.length > 0 || byKeyword.length >= 2;
      return { topic, matched, fits };
    })
    .filter((found) => found.fits)
    // Most words in common first; then the writer's own topics before discovered ones.
    .sort(
      (a, b) =>
        b.matched.length - a.matched.length ||
        Number(b.topic.kind === "user") - Number(a.topic.kind === "user"),
    )
    .slice(0, DRAFT_TOPICS_MAX)
    .map(({ topic, matched }) => ({ id: topic.id, name: topic.name, kind: topic.kind, matched }));

  return { keywords, tags, topics: matchedTopics };
}
