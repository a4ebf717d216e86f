import { SELF } from "cloudflare:test";
import { PROBLEM_CONTENT_TYPE, problemSchema, readinessSchema } from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { EXPECTED_SCHEMA } from "../src/db/schema-version.ts";
import { callWithEnv, edgeEnv, testDb } from "./harness.ts";

describe("GET /health", () => {
  it("answers ok without touching dependencies and carries a request id", async () => {
    const res = await SELF.fetch("http://edge.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_/);
  });

  it("echoes a sane client request id and replaces an unsafe one", async () => {
    const sane = await SELF.fetch("http://edge.test/health", {
      headers: { "X-Request-Id": "client-abc-12345" },
    });
    expect(sane.headers.get("X-Request-Id")).toBe("client-abc-12345");
    const unsafe = await SELF.fetch("http://edge.test/health", {
      headers: { "X-Request-Id": "<script>x</script>" },
    });
    expect(unsafe.headers.get("X-Request-Id")).toMatch(/^req_/);
  });
});

describe("GET /health/ready", () => {
  it("checks Postgres, Redis and QStash for real; with no node heartbeating it is degraded", async () => {
    const res = await SELF.fetch("http://edge.test/health/ready");
    expect(res.status).toBe(200);
    const body = readinessSchema.parse(await res.json());
    expect(body.checks.database.status).toBe("ok");
    expect(body.checks.cache.status).toBe("ok");
    expect(body.checks.queue.status).toBe("ok");
    expect(body.checks.nodes).toMatchObject({ status: "degraded", healthy: 0 });
    expect(body.status).toBe("degraded");
    expect(body.checks.schema).toMatchObject({
      status: "ok",
      expected: EXPECTED_SCHEMA.migration,
      applied: EXPECTED_SCHEMA.count,
    });
  });

  it("answers 503 'schema behind' while the database lacks the Worker's newest migration", async () => {
    const db = testDb();
    // Forget the newest migration's record (its tables stay) as a database not yet migrated would,
    // then put it back.
    const removed = await db.execute<{ hash: string; created_at: string }>(
      sql`delete from drizzle.__drizzle_migrations where created_at = ${EXPECTED_SCHEMA.when}
          returning hash, created_at::text`,
    );
    expect(removed).toHaveLength(1);
    try {
      // Uncached: the shared answer may have been taken before the record went.
      const res = await callWithEnv({ READINESS_CACHE_SECONDS: "0" }, "/health/ready");
      expect(res.status).toBe(503);
      const body = readinessSchema.parse(await res.json());
      expect(body.status).toBe("fail");
      expect(body.checks.schema.status).toBe("fail");
      expect(body.checks.schema.applied).toBe(EXPECTED_SCHEMA.count - 1);
      expect(body.checks.schema.detail).toMatch(/^Schema behind: .*npm run db:migrate/);
    } finally {
      const row = removed[0];
      if (row) {
        await db.execute(
          sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${row.hash}, ${row.created_at}::bigint)`,
        );
      }
    }
    expect((await callWithEnv({ READINESS_CACHE_SECONDS: "0" }, "/health/ready")).status).toBe(200);
  });

  it("reuses one answer for READINESS_CACHE_SECONDS: callers in that time cost no probes", async () => {
    const cached = { READINESS_CACHE_SECONDS: "60" };
    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    // Start from no kept answer, so this one is kept for the minute asked for.
    await redis.del("inkwell:readiness");
    expect((await callWithEnv(cached, "/health/ready")).status).toBe(200);
    const db = testDb();
    const removed = await db.execute<{ hash: string; created_at: string }>(
      sql`delete from drizzle.__drizzle_migrations where created_at = ${EXPECTED_SCHEMA.when}
          returning hash, created_at::text`,
    );
    expect(removed).toHaveLength(1);
    try {
      // The database is now behind, but the answer kept from before is what callers get.
      const again = await callWithEnv(cached, "/health/ready");
      expect(again.status).toBe(200);
      expect(readinessSchema.parse(await again.json()).checks.schema.status).toBe("ok");
      expect((await callWithEnv({ READINESS_CACHE_SECONDS: "0" }, "/health/ready")).status).toBe(503);
    } finally {
      const row = removed[0];
      if (row) {
        await db.execute(
          sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${row.hash}, ${row.created_at}::bigint)`,
        );
      }
      await redis.del("inkwell:readiness");
    }
  });
});

describe("errors", () => {
  it("answers an unknown route with problem+json", async () => {
    const res = await SELF.fetch("http://edge.test/v1/nothing-here", {
      headers: { "X-Request-Id": "trace-0001-abc" },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toBe(PROBLEM_CONTENT_TYPE);
    const problem = problemSchema.parse(await res.json());
    expect(problem).toMatchObject({ status: 404, code: "NOT_FOUND", requestId: "trace-0001-abc" });
  });
});
