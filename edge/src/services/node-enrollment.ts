import {
  type CreatedJoinSecret,
  type CreateJoinSecretRequest,
  deriveNodeToken,
  hashToken,
  hostAllowed,
  InkwellError,
  JOIN_SECRET_PREFIX,
  type JoinSecret,
  type NodeEnrollReply,
  type NodeEnrollRequest,
  nodeTokenSalt,
  uuidv7,
} from "@inkwell/shared";
import { and, count, desc, eq, inArray, isNull, lt } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { nodeJoinSecrets, nodes } from "../db/schema/index.ts";
import type { AppConfig } from "../env.ts";
import { nodeUrl } from "./nodes.ts";

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

type SecretRow = typeof nodeJoinSecrets.$inferSelect;

function toJoinSecret(row: SecretRow, enrolled: number): JoinSecret {
  return {
    id: row.id,
    name: row.name,
    allowedHosts: row.allowedHosts,
    nodes: enrolled,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** A new join secret: 256 random bits, shown once, kept as its SHA-256. */
export async function createJoinSecret(
  db: Database | Tx,
  input: CreateJoinSecretRequest,
): Promise<CreatedJoinSecret> {
  const secret = `${JOIN_SECRET_PREFIX}${base64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const [row] = await db
    .insert(nodeJoinSecrets)
    .values({
      id: uuidv7(),
      name: input.name,
      secretHash: await hashToken(secret),
      allowedHosts: [...new Set(input.allowedHosts)],
    })
    .returning();
  if (!row) throw new Error("inserting a join secret returned no row");
  return { ...toJoinSecret(row, 0), secret };
}

/**
 * A page of join secrets, newest first (ids are UUIDv7); `last` is the id to continue after, or null on
 * the last page.
 */
export async function listJoinSecrets(
  db: Database,
  page: { limit: number; after?: string | undefined },
): Promise<{ items: JoinSecret[]; last: string | null }> {
  const fetched = await db
    .select()
    .from(nodeJoinSecrets)
    .where(page.after ? lt(nodeJoinSecrets.id, page.after) : undefined)
    .orderBy(desc(nodeJoinSecrets.id))
    .limit(page.limit + 1);
  const rows = fetched.slice(0, page.limit);
  const last = fetched.length > page.limit ? (rows.at(-1)?.id ?? null) : null;
  const counts =
    rows.length === 0
      ? []
      : await db
          .select({ id: nodes.joinSecretId, n: count() })
          .from(nodes)
          .where(
            inArray(
              nodes.joinSecretId,
              rows.map((r) => r.id),
            ),
          )
          .groupBy(nodes.joinSecretId);
  const enrolled = new Map(counts.map((c) => [c.id, Number(c.n)]));
  return { items: rows.map((row) => toJoinSecret(row, enrolled.get(row.id) ?? 0)), last };
}

/**
 * No replica can enroll with the secret any more. The nodes it enrolled keep their own tokens (a
 * rotation must not take the pool down) unless `removeNodes`, for a secret that leaked.
 */
export async function revokeJoinSecret(
  db: Database | Tx,
  id: string,
  options: { removeNodes: boolean },
): Promise<{ removedNodes: number }> {
  return await db.transaction(async (tx) => {
    const [row] = await tx
      .update(nodeJoinSecrets)
      .set({ revokedAt: new Date() })
      .where(eq(nodeJoinSecrets.id, id))
      .returning({ id: nodeJoinSecrets.id });
    if (!row) throw new InkwellError("NOT_FOUND", "No join secret with that id.");
    if (!options.removeNodes) return { removedNodes: 0 };
    const removed = await tx.delete(nodes).where(eq(nodes.joinSecretId, id)).returning({ id: nodes.id });
    return { removedNodes: removed.length };
  });
}

/** The join secret a bearer value names, unless it is unknown or revoked. */
export async function activeJoinSecret(db: Database, secret: string): Promise<SecretRow | undefined> {
  if (!secret.startsWith(JOIN_SECRET_PREFIX)) return undefined;
  const [row] = await db
    .select()
    .from(nodeJoinSecrets)
    .where(and(eq(nodeJoinSecrets.secretHash, await hashToken(secret)), isNull(nodeJoinSecrets.revokedAt)))
    .limit(1);
  return row;
}

const isUniqueViolation = (err: unknown): boolean => {
  const e = (err as { code?: unknown; cause?: { code?: unknown } }) ?? {};
  return e.code === "23505" || e.cause?.code === "23505";
};

/**
 * A replica enrolls: a node of its own under the join secret, with a fresh token. A replica that enrolls
 * again from the same URL (a restart, a redeploy) gets its node back re-keyed: its old token stops
 * working and no offline twin is left behind. The URL must name one of the secret's allowed hosts.
 */
export async function enrollNode(
  db: Database,
  tokenSecret: string,
  joinSecret: SecretRow,
  input: NodeEnrollRequest,
  environment: AppConfig["ENVIRONMENT"],
): Promise<NodeEnrollReply> {
  const parsed = new URL(input.url);
  if (!hostAllowed(parsed.host, joinSecret.allowedHosts) || parsed.pathname.replace(/\/+$/, "") !== "") {
    throw new InkwellError("FORBIDDEN", "This join secret does not allow a node at that URL.");
  }
  const url = nodeUrl(input.url, environment);
  const salt = nodeTokenSalt();
  const [existing] = await db
    .select({ id: nodes.id, name: nodes.name })
    .from(nodes)
    .where(and(eq(nodes.joinSecretId, joinSecret.id), eq(nodes.url, url)))
    .limit(1);
  if (existing) {
    const token = await deriveNodeToken(tokenSecret, existing.id, salt);
    await db
      .update(nodes)
      .set({ tokenHash: await hashToken(token), tokenSalt: salt, updatedAt: new Date() })
      .where(eq(nodes.id, existing.id));
    return { nodeId: existing.id, name: existing.name, url, token };
  }
  const id = uuidv7();
  const token = await deriveNodeToken(tokenSecret, id, salt);
  const base = `${joinSecret.name}-${input.name}`.slice(0, 64);
  // Two replicas may share a host name (containers on different machines): the second gets the id's tail.
  for (const name of [base, `${base.slice(0, 55)}-${id.slice(-8)}`]) {
    try {
      await db.insert(nodes).values({
        id,
        name,
        url,
        tokenHash: await hashToken(token),
        tokenSalt: salt,
        status: "offline",
        joinSecretId: joinSecret.id,
      });
      return { nodeId: id, name, url, token };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new InkwellError("CONFLICT", `A node named ${base} already exists.`);
}
