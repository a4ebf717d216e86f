import { createHash } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { HYBRID_FUSION, queryKind } from "@inkwell/shared";
import { freePort } from "../../dev/src/lib/ports.ts";
import { startPostgres } from "../../dev/src/postgres/embedded.ts";
import { migrateDatabase } from "../../dev/src/postgres/migrate.ts";
import { createDatabase } from "../../edge/src/db/client.ts";
import { entries as entriesTable, users } from "../../edge/src/db/schema/index.ts";
import { keywordSearch } from "../../edge/src/services/keyword-search.ts";
import type { EvalEntry, EvalQuery } from "./eval-set.ts";

export interface KeywordRankingOptions {
  /** Use this Postgres (migrations are applied) instead of starting a throwaway embedded one. */
  databaseUrl?: string;
  /** Hits kept per query: the candidates that go into fusion. */
  limit: number;
  log: (line: string) => void;
}

/** A stable UUID per evaluation id, so reruns insert the same rows and results are comparable. */
export function evalUuid(id: string): string {
  const hex = createHash("sha256").update(`inkwell-eval:${id}`).digest("hex");
  // Version 8 ("custom") with the RFC 9562 variant bits: a valid UUID for Postgres' uuid type.
  const variant = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Keyword rankings per query id: keyword mode's, and the keyword side of hybrid search's. */
export interface KeywordRankings {
  keyword: Map<string, string[]>;
  hybrid: Map<string, string[]>;
}

/**
 * Keyword mode exactly as the API serves it: the entries go into a real Postgres with the project's
 * migrations (generated tsvector column, GIN and trigram indexes), and every query runs through the edge's
 * own `keywordSearch`, full-text first and trigram fallback when nothing matches.
 */
export async function keywordRankings(
  entries: readonly EvalEntry[],
  queries: readonly EvalQuery[],
  options: KeywordRankingOptions,
): Promise<KeywordRankings> {
  let stop: (() => Promise<void>) | undefined;
  let url = options.databaseUrl;
  if (!url) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "inkwell-eval-pg-"));
    const pg = await startPostgres({
      port: await freePort(),
      dataDir,
      persistent: false,
      database: "inkwell_eval",
      log: () => {},
    });
    url = pg.url;
    stop = pg.stop;
  }
  try {
    await migrateDatabase(url);
    const { db } = createDatabase(url);
    try {
      const userId = evalUuid(`user:${Date.now()}:${Math.random()}`);
      await db.insert(users).values({
        id: userId,
        email: `eval-${userId}@inkwell.invalid`,
        passwordHash: "not-a-login",
        passwordSalt: "not-a-login",
        passwordIterations: 1,
      });
      const byUuid = new Map(entries.map((entry) => [evalUuid(`${userId}:${entry.id}`), entry.id]));
      const rows = entries.map((entry) => ({
        id: evalUuid(`${userId}:${entry.id}`),
        userId,
        title: entry.title ?? null,
        content: entry.content,
        wordCount: entry.content.split(/\s+/).filter(Boolean).length,
        occurredAt: new Date(entry.occurredAt),
      }));
      await db.insert(entriesTable).values(rows);
      options.log(`keyword: ${rows.length} entries in Postgres, ${queries.length} queries`);
      const rankings: KeywordRankings = { keyword: new Map(), hybrid: new Map() };
      const ids = (hits: readonly { id: string }[]) => hits.map((hit) => byUuid.get(hit.id) ?? hit.id);
      for (const query of queries) {
        const all = await keywordSearch(db, userId, { q: query.text, limit: options.limit });
        rankings.keyword.set(query.id, ids(all));
        const match = HYBRID_FUSION[queryKind(query.text)].keywordMatch;
        rankings.hybrid.set(
          query.id,
          match === "all"
            ? ids(all)
            : ids(await keywordSearch(db, userId, { q: query.text, limit: options.limit, match })),
        );
      }
      return rankings;
    } finally {
      await closeDatabase(db);
    }
  } finally {
    await stop?.();
  }
}

/**
 * The edge's client is built for workerd and is never ended there; in Node an open pool would keep the
 * process alive, so the driver behind drizzle (`$client`) is ended here.
 */
async function closeDatabase(db: object): Promise<void> {
  const client: unknown = Reflect.get(db, "$client");
  if (typeof client === "object" && client !== null && "end" in client && typeof client.end === "function") {
    await client.end({ timeout: 5 });
  }
}
