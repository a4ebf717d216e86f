import { sql } from "drizzle-orm";
import journal from "../../../migrations/meta/_journal.json";
import type { Database } from "./client.ts";

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

const entries: readonly JournalEntry[] = journal.entries;
const latest = entries.at(-1);
if (!latest) throw new Error("migrations/meta/_journal.json lists no migration");

/**
 * The schema this Worker was built against: the newest migration in `migrations/`, bundled at build
 * time. drizzle's migrator records each applied migration with the journal's `when` as `created_at`,
 * so the database is current when its newest record is at least this one.
 */
export const EXPECTED_SCHEMA = { migration: latest.tag, when: latest.when, count: entries.length } as const;

export interface SchemaState {
  /** Migrations the database has applied, by drizzle's own record. */
  applied: number;
  /** The tag of the newest applied migration this Worker knows, or null when the database is empty. */
  appliedMigration: string | null;
  /** `behind`: the database lacks migrations this Worker needs (run `npm run db:migrate` first). */
  state: "current" | "behind" | "ahead";
}

export async function readSchemaState(db: Database): Promise<SchemaState> {
  const rows = await db.execute<{ applied: number; newest: string | null }>(
    sql`select count(*)::int as applied, max(created_at)::text as newest from drizzle.__drizzle_migrations`,
  );
  const row = rows[0];
  const applied = Number(row?.applied ?? 0);
  const newest = row?.newest === null || row?.newest === undefined ? null : Number(row.newest);
  const appliedMigration =
    newest === null ? null : ([...entries].reverse().find((e) => e.when <= newest)?.tag ?? null);
  const state =
    newest === null || newest < EXPECTED_SCHEMA.when
      ? "behind"
      : newest > EXPECTED_SCHEMA.when
        ? "ahead"
        : "current";
  return { applied, appliedMigration, state };
}
