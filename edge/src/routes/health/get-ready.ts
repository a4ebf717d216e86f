import { createRoute, z } from "@hono/zod-openapi";
import type { ReadinessCheck } from "@inkwell/shared";
import { and, count, eq, gt, sql } from "drizzle-orm";
import { nodes } from "../../db/schema/index.ts";
import { EXPECTED_SCHEMA, readSchemaState } from "../../db/schema-version.ts";
import type { Services } from "../../hono-env.ts";
import { createRouter } from "../../lib/openapi.ts";
import { withTimeout } from "../../lib/timeout.ts";

const check = z.object({
  status: z.enum(["ok", "degraded", "fail"]),
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
});
const readiness = z
  .object({
    status: z.enum(["ok", "degraded", "fail"]),
    checks: z.object({
      database: check,
      cache: check,
      queue: check,
      nodes: check.extend({ healthy: z.number().int() }),
      schema: check.extend({
        expected: z.string().openapi({ description: "The newest migration this Worker was built with" }),
        applied: z.number().int().openapi({ description: "Migrations the database has applied" }),
      }),
    }),
  })
  .openapi("Readiness");

const route = createRoute({
  method: "get",
  path: "/health/ready",
  tags: ["Health"],
  summary: "Readiness: checks Postgres, Redis, QStash, the inference nodes and the database schema",
  description:
    "`schema` compares the database's applied migrations with the newest one this Worker was built with: " +
    "a database behind the Worker answers 503 (run `npm run db:migrate` before deploying). One answer is reused " +
    "for `READINESS_CACHE_SECONDS` (5 by default).",
  responses: {
    200: { description: "Ready (possibly degraded)", content: { "application/json": { schema: readiness } } },
    503: { description: "Not ready", content: { "application/json": { schema: readiness } } },
  },
});

const TIMEOUT_MS = 3_000;

/** Runs a probe, timing it; its error text stays generic so no connection detail leaks. */
async function probe(what: string, run: () => Promise<void>): Promise<ReadinessCheck> {
  const started = Date.now();
  try {
    await withTimeout(run(), TIMEOUT_MS, what);
    return { status: "ok", latencyMs: Date.now() - started };
  } catch (err) {
    const timedOut = err instanceof Error && err.message.includes("did not answer");
    return {
      status: "fail",
      latencyMs: Date.now() - started,
      detail: timedOut ? `${what} did not answer within ${TIMEOUT_MS} ms` : `${what} is unreachable`,
    };
  }
}

async function checkQueue(services: Services): Promise<void> {
  const res = await fetch(new URL("/v2/keys", services.config.QSTASH_URL), {
    headers: { Authorization: `Bearer ${services.config.QSTASH_TOKEN}` },
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`QStash answered ${res.status}`);
}

async function countHealthyNodes(services: Services): Promise<number> {
  const freshSince = new Date(Date.now() - services.config.NODE_HEARTBEAT_TTL_SECONDS * 1000);
  const [row] = await services.db
    .select({ n: count() })
    .from(nodes)
    .where(and(eq(nodes.draining, false), gt(nodes.lastHeartbeatAt, freshSince)));
  return row?.n ?? 0;
}

type SchemaCheck = ReadinessCheck & { expected: string; applied: number };

async function checkSchema(services: Services): Promise<SchemaCheck> {
  const found: { applied: number; state: "current" | "behind" | "ahead" | "missing" } = {
    applied: 0,
    state: "missing",
  };
  const result = await probe("Postgres", async () => {
    try {
      Object.assign(found, await readSchemaState(services.db));
    } catch (err) {
      // No migrations table yet: a database nobody has migrated.
      if (
        (err as { code?: unknown }).code !== "42P01" &&
        (err as { cause?: { code?: unknown } }).cause?.code !== "42P01"
      ) {
        throw err;
      }
    }
  });
  const { applied, state } = found;
  const base = { ...result, expected: EXPECTED_SCHEMA.migration, applied };
  if (result.status !== "ok") return base;
  if (state === "behind" || state === "missing") {
    return {
      ...base,
      status: "fail",
      detail: `Schema behind: the database has ${applied} of the ${EXPECTED_SCHEMA.count} migrations this Worker needs; run npm run db:migrate.`,
    };
  }
  if (state === "ahead") {
    return {
      ...base,
      status: "degraded",
      detail: "The database has migrations newer than this Worker; deploy the matching Worker.",
    };
  }
  return base;
}

/** One readiness answer, reused for READINESS_CACHE_SECONDS by every caller. */
const READINESS_KEY = "inkwell:readiness";
type Readiness = z.infer<typeof readiness>;

async function cachedReadiness(services: Services): Promise<Readiness | undefined> {
  if (services.config.READINESS_CACHE_SECONDS === 0) return undefined;
  try {
    const parsed = readiness.safeParse(
      await withTimeout(services.redis.get<unknown>(READINESS_KEY), 1_000, "Redis"),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Redis is down: check everything, which will say so.
    return undefined;
  }
}

async function keepReadiness(services: Services, body: Readiness): Promise<void> {
  if (services.config.READINESS_CACHE_SECONDS === 0) return;
  try {
    await withTimeout(
      services.redis.set(READINESS_KEY, JSON.stringify(body), {
        ex: services.config.READINESS_CACHE_SECONDS,
      }),
      1_000,
      "Redis",
    );
  } catch {
    // Only a cache.
  }
}

/**
 * Probing costs a query, a Redis round trip and a QStash call; anyone may ask, so the answer is kept for
 * a few seconds and every caller in that time gets the same one.
 */
export const getReady = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const cached = await cachedReadiness(services);
  if (cached) return cached.status === "fail" ? c.json(cached, 503) : c.json(cached, 200);
  let healthy = 0;
  const [database, cache, queue, nodeCheck, schema] = await Promise.all([
    probe("Postgres", async () => {
      await services.db.execute(sql`select 1`);
    }),
    probe("Redis", async () => {
      await services.redis.ping();
    }),
    probe("QStash", () => checkQueue(services)),
    probe("Postgres", async () => {
      healthy = await countHealthyNodes(services);
    }),
    checkSchema(services),
  ]);
  const nodesCheck = {
    ...nodeCheck,
    healthy,
    ...(nodeCheck.status === "ok" && healthy === 0
      ? {
          status: "degraded" as const,
          detail: "No healthy inference node: analysis jobs wait until one heartbeats.",
        }
      : {}),
  };
  if (cache.status === "fail") cache.status = "degraded";
  const failed = database.status === "fail" || queue.status === "fail" || schema.status === "fail";
  const degraded = cache.status !== "ok" || nodesCheck.status !== "ok" || schema.status !== "ok";
  const status = failed ? "fail" : degraded ? "degraded" : "ok";
  const body = { status, checks: { database, cache, queue, nodes: nodesCheck, schema } } as const;
  await keepReadiness(services, body);
  return failed ? c.json(body, 503) : c.json(body, 200);
});
