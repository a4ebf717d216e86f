import { InkwellError } from "@inkwell/shared";
import { asc, eq, inArray } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { entries, users } from "../db/schema/index.ts";

/**
 * The lock order of the edge. Every transaction that writes a writer's rows takes its row locks in this
 * order, so no two transactions ever wait on each other in a circle (Postgres breaks such a circle by
 * aborting one of them with 40P01, deadlock detected):
 *
 *   1. the writer's `users` row (`lockWriter`), before any other row of theirs is read for update or
 *      written; several writers' rows in id order (`lockWriters`);
 *   2. the writer's entries (`lockEntries`, id order); an edit then key-share locks the topics it links
 *      the entry to;
 *   3. job rows;
 *   4. everything else of the writer: analyses, embeddings, the discovered topics a discovery result
 *      replaces, reflections, chat sessions and messages, refresh tokens, API keys. Rows a statement
 *      creates (a job, an edit's new entry version) need no place in the order: no other transaction
 *      can wait on a row it cannot see yet. The KEY SHARE lock a foreign-key check
 *      takes on an entry later in a transaction (an entry topic linked) may come after step 3: it
 *      conflicts only with removing the entry for good, and what does that holds the writer's lock.
 *
 * Why the writer's row comes first: deleting an account deletes that row first, and the cascade then
 * deletes entries (with their analyses, versions, jobs, links and embeddings), the remaining jobs,
 * reflections, chat messages and sessions, in the order the foreign keys were made. A transaction that locked one of
 * those rows first and reached the users row afterwards (a foreign-key check of an insert takes a KEY
 * SHARE lock on it) waited on the deletion while the deletion's cascade waited on it: an analysis result
 * holding its job row, a chat message holding its session's key lock. Taken first, the writer's lock
 * makes the deletion wait for writes already under way and makes later writes wait for the deletion,
 * before either holds anything the other needs; afterwards they find the account gone.
 *
 * Writes take `FOR KEY SHARE`: it conflicts only with deleting the row (or changing its key), so writes
 * of one writer still run side by side, and sign-ins and token rotation (`FOR NO KEY UPDATE`) never wait
 * on them. Jobs that belong to no writer (reindex and reconciliation pages, purges) are locked by their
 * own result alone, so they may come before step 1. A transaction that is aborted anyway (serialisation
 * failure, a deadlock the order does not cover) is run again by the database client (db/client.ts).
 */
export type WriterLock = "key share" | "no key update" | "update";

/**
 * Takes the writer's row lock for the rest of the transaction (step 1 above). Answers whether the account
 * is there and not marked deleted; a row marked deleted is still locked, so the order holds for it too.
 */
export async function lockWriter(tx: Tx, userId: string, mode: WriterLock = "key share"): Promise<boolean> {
  const [row] = await tx
    .select({ deletedAt: users.deletedAt })
    .from(users)
    .where(eq(users.id, userId))
    .for(mode);
  return row !== undefined && row.deletedAt === null;
}

/** `lockWriter` for a request of the writer's own: an account deleted meanwhile is answered 404. */
export async function requireWriter(tx: Tx, userId: string): Promise<void> {
  if (!(await lockWriter(tx, userId))) throw new InkwellError("NOT_FOUND", "No such account.");
}

/** Locks several writers' rows (a sweep across accounts), in id order; answers the ids found. */
export async function lockWriters(tx: Tx, userIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return [];
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(inArray(users.id, unique))
    .orderBy(asc(users.id))
    .for("key share");
  return rows.map((row) => row.id);
}

/**
 * Key-share locks on entries (step 2), in id order: no entry can be removed for good (the retention sweep,
 * an account's cascade) until the transaction ends, and edits of them stay free. Answers the ids found.
 */
export async function lockEntries(tx: Tx, entryIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(entryIds)];
  if (unique.length === 0) return [];
  const rows = await tx
    .select({ id: entries.id })
    .from(entries)
    .where(inArray(entries.id, unique))
    .orderBy(asc(entries.id))
    .for("key share");
  return rows.map((row) => row.id);
}
