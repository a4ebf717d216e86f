import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { HEADLINE_OPTIONS, htmlSnippet, SENTINELS } from "../lib/snippet.ts";

export interface KeywordHit {
  id: string;
  title: string | null;
  /** Safe HTML: the text escaped, matches in `<mark>`. */
  snippet: string;
  occurredAt: string;
  score: number;
}

/**
 * Which of the query's words an entry must contain: `all` (web-search syntax: quotes, `or`, `-word`), as
 * keyword search answers; `any`, ranked by how many and how densely, as hybrid search's keyword side reads a
 * query written as a sentence, whose every word an entry rarely shares.
 */
export type KeywordMatch = "all" | "any";

/**
 * A query matching entries with any of the text's words (stemmed, stop words dropped). A text of stop words
 * alone gives the empty query, which matches nothing, as keyword mode's does.
 */
export function anyWordQuery(text: string): SQL {
  return sql`coalesce(nullif(replace(plainto_tsquery('english', ${text})::text, '&', '|'), '')::tsquery, ''::tsquery)`;
}

/**
 * Postgres full-text search (title weighted above content), falling back to trigram word similarity so a typo
 * ("anxeity") still finds "anxiety". Ranked by text rank plus similarity, newest first on ties.
 */
export async function keywordSearch(
  db: Database,
  userId: string,
  options: {
    q: string;
    limit: number;
    from?: string | undefined;
    to?: string | undefined;
    /** Default `all`. */
    match?: KeywordMatch;
  },
): Promise<KeywordHit[]> {
  const query =
    options.match === "any" ? anyWordQuery(options.q) : sql`websearch_to_tsquery('english', ${options.q})`;
  const text = sql`(coalesce(title, '') || ' ' || content)`;
  const from = options.from
    ? sql`and occurred_at >= ${new Date(options.from).toISOString()}::timestamptz`
    : sql``;
  const to = options.to ? sql`and occurred_at < ${new Date(options.to).toISOString()}::timestamptz` : sql``;
  const run = async (fuzzy: boolean) =>
    await db.transaction(async (tx) => {
      // Loose enough that a swapped pair of letters ("anxeity") still reaches its word.
      if (fuzzy) await tx.execute(sql`set local pg_trgm.word_similarity_threshold = 0.35`);
      const match = fuzzy ? sql`${options.q} <% ${text}` : sql`search @@ ${query}`;
      const rows = await tx.execute<{
        id: string;
        title: string | null;
        snippet: string;
        occurred_at: Date | string;
        score: number;
      }>(sql`
        select id, title, occurred_at,
          ts_headline('english', translate(content, ${SENTINELS}, ''), ${query}, ${HEADLINE_OPTIONS}) as snippet,
          (ts_rank_cd(search, ${query}, 32) + 0.5 * word_similarity(${options.q}, ${text}))::float8 as score
        from entries
        where user_id = ${userId} and deleted_at is null and ${match}
          ${from} ${to}
        order by score desc, occurred_at desc, id desc
        limit ${options.limit}`);
      return rows.map((row) => ({
        id: row.id,
        title: row.title,
        snippet: htmlSnippet(row.snippet),
        occurredAt: new Date(row.occurred_at).toISOString(),
        score: Number(row.score),
      }));
    });
  // Exact words first; only when they find nothing is the query read as a possible misspelling, so
  // fuzzy matches never crowd out real ones.
  const exact = await run(false);
  return exact.length > 0 ? exact : await run(true);
}
