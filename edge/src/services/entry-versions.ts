import type { EntryVersion } from "@inkwell/shared";
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { entries, entryVersions } from "../db/schema/index.ts";

type Executor = Database | Tx;

export interface VersionText {
  title: string | null;
  content: string;
  wordCount: number;
}

/**
 * Writes the text an entry has from now on as its version `version`, in the transaction that changed
 * it (after the entry's row lock, writer-locks.ts; a new row needs no place in the order).
 */
export async function recordVersion(
  tx: Tx,
  row: { entryId: string; userId: string; version: number; restoredFrom?: number | null; at: Date },
  text: VersionText,
): Promise<void> {
  await tx.insert(entryVersions).values({
    entryId: row.entryId,
    userId: row.userId,
    version: row.version,
    title: text.title,
    content: text.content,
    wordCount: text.wordCount,
    restoredFrom: row.restoredFrom ?? null,
    createdAt: row.at,
  });
}

/** A stored version's text, for a restore (read inside the restoring transaction). */
export async function versionText(
  tx: Tx,
  entryId: string,
  version: number,
): Promise<VersionText | undefined> {
  const [row] = await tx
    .select({
      title: entryVersions.title,
      content: entryVersions.content,
      wordCount: entryVersions.wordCount,
    })
    .from(entryVersions)
    .where(and(eq(entryVersions.entryId, entryId), eq(entryVersions.version, version)));
  return row;
}

/** The live entry's current version, or null when the writer has no such live entry. */
async function currentVersionOf(db: Executor, userId: string, entryId: string): Promise<number | null> {
  const [row] = await db
    .select({ version: entries.contentVersion })
    .from(entries)
    .where(and(eq(entries.id, entryId), eq(entries.userId, userId), isNull(entries.deletedAt)));
  return row ? row.version : null;
}

/** The columns of a stored version, as `toVersion` reads them (the export pages through them too). */
export const versionColumns = {
  entryId: entryVersions.entryId,
  version: entryVersions.version,
  title: entryVersions.title,
  content: entryVersions.content,
  wordCount: entryVersions.wordCount,
  createdAt: entryVersions.createdAt,
  restoredFrom: entryVersions.restoredFrom,
};
export interface VersionRow extends VersionText {
  entryId: string;
  version: number;
  createdAt: Date;
  restoredFrom: number | null;
}

export function toVersion(row: VersionRow, current: number | null): EntryVersion {
  return {
    entryId: row.entryId,
    version: row.version,
    title: row.title,
    content: row.content,
    wordCount: row.wordCount,
    createdAt: row.createdAt.toISOString(),
    current: row.version === current,
    restoredFrom: row.restoredFrom,
  };
}

/**
 * A page of a live entry's versions, newest first, and whether more follow; null when the entry is not
 * the writer's or is deleted (versions are only as readable as their entry).
 */
export async function listVersions(
  db: Database,
  userId: string,
  entryId: string,
  options: { limit: number; before?: number | undefined },
): Promise<{ items: EntryVersion[]; more: boolean } | null> {
  const current = await currentVersionOf(db, userId, entryId);
  if (current === null) return null;
  const rows = await db
    .select(versionColumns)
    .from(entryVersions)
    .where(
      and(
        eq(entryVersions.entryId, entryId),
        eq(entryVersions.userId, userId),
        options.before !== undefined ? lt(entryVersions.version, options.before) : undefined,
      ),
    )
    .orderBy(desc(entryVersions.version))
    .limit(options.limit + 1);
  return {
    items: rows.slice(0, options.limit).map((row) => toVersion(row, current)),
    more: rows.length > options.limit,
  };
}

/** One version of a live entry of the writer's; null for anything else. */
export async function findVersion(
  db: Database,
  userId: string,
  entryId: string,
  version: number,
): Promise<EntryVersion | null> {
  const current = await currentVersionOf(db, userId, entryId);
  if (current === null) return null;
  const [row] = await db
    .select(versionColumns)
    .from(entryVersions)
    .where(
      and(
        eq(entryVersions.entryId, entryId),
        eq(entryVersions.userId, userId),
        eq(entryVersions.version, version),
      ),
    );
  return row ? toVersion(row, current) : null;
}
