import { chatSessionSchema, type Entry, InkwellError } from "@inkwell/shared";
import { Client as QStashClient } from "@upstash/qstash";
import { Redis } from "@upstash/redis/cloudflare";
import { eq, inArray, type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { DataKeyring, rootKeysOf } from "../../src/crypto/data-keys.ts";
import { createDatabase } from "../../src/db/client.ts";
import { entries, jobs, users } from "../../src/db/schema/index.ts";
import { parseEnv } from "../../src/env.ts";
import type { Services } from "../../src/hono-env.ts";
import { deleteAccount } from "../../src/services/account-deletion.ts";
import { prepareReply } from "../../src/services/chat.ts";
import { updateEntry } from "../../src/services/entries.ts";
import { handleSuccessCallback, qstashCallbackSchema } from "../../src/services/job-results.ts";
import { keyring } from "../crypto/helpers.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, edgeEnv, registerUser, type TestUser, testDb } from "../harness.ts";
import {
  analysisResult,
  CALLBACK,
  deliveredCallback,
  eventually,
  FAILURE,
  postSigned,
} from "../pipeline/helpers.ts";

/**
 * DELETE /v1/me once answered 500: Postgres aborted it as a deadlock (40P01) while analysis results and
 * a chat reply of the same writer were landing. The cascade of the users row locks the writer's rows in
 * foreign-key order, and those writes locked a child row first and reached the users row afterwards.
 * Every write now takes the writer's row first (services/writer-locks.ts).
 *
 * The first tests call the services on a client that never reruns a transaction, so a deadlock fails
 * them instead of being retried away, and order each step with row locks held by the test and
 * pg_blocking_pids: no sleeps.
 */

const config = (() => {
  const parsed = parseEnv(edgeEnv);
  if (!parsed.ok) throw new Error(`the test bindings are invalid: ${parsed.problems.join("; ")}`);
  return parsed.config;
})();

// One client for the file, like testDb(): its few connections close with the run.
const strict = createDatabase(edgeEnv.HYPERDRIVE.connectionString, {
  connectTimeoutSeconds: 30,
  transactionAttempts: 1,
}).db;

const services: Services = {
  config,
  db: strict,
  redis: new Redis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    enableTelemetry: false,
  }),
  qstash: new QStashClient({ baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN, devMode: false }),
  dataKeys: new DataKeyring(strict, rootKeysOf(config)),
};

function latch<T = void>(): { open: (value: T) => void; opened: Promise<T> } {
  let open: (value: T) => void = () => {};
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * Holds the row locks `statement` takes, in a transaction of its own, while `steps` run (given the
 * holder's backend pid), then lets go: what waits on them goes on from there.
 */
async function whileHolding<T>(statement: SQL, steps: (holder: number) => Promise<T>): Promise<T> {
  const held = latch<number>();
  const release = latch();
  const done = testDb().transaction(async (tx) => {
    const [row] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    await tx.execute(statement);
    held.open(Number(row?.pid));
    await release.opened;
  });
  try {
    const holder = await Promise.race([held.opened, done.then(() => -1)]);
    expect(holder).toBeGreaterThan(0);
    return await steps(holder);
  } finally {
    release.open();
    await done;
  }
}

/** Waits until `count` backends wait on `holder`'s locks, directly or behind another waiter. */
async function waitersBehind(holder: number, count: number): Promise<void> {
  await eventually(async () => {
    const rows = await testDb().execute<{ pid: number; blockers: number[] }>(sql`
      select pid, to_json(pg_blocking_pids(pid)) as blockers from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`);
    const behind = new Set([holder]);
    for (let grown = true; grown; ) {
      grown = false;
      for (const row of rows) {
        if (!behind.has(row.pid) && row.blockers.some((pid) => behind.has(pid))) {
          behind.add(row.pid);
          grown = true;
        }
      }
    }
    return behind.size - 1 >= count ? true : undefined;
  }, 30_000);
}

type Settled<T> = { value: T; error?: undefined } | { value?: undefined; error: unknown };

/** Settles at once (so a rejection is never left unhandled while the test waits on something else). */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** An analysis job handed to a node (attempt 1), and the callback QStash posts with the node's answer. */
async function analysisInFlight(entry: Entry) {
  const jobId = entry.jobId ?? "";
  await testDb()
    .update(jobs)
    .set({ status: "running", attempts: 1, startedAt: new Date() })
    .where(eq(jobs.id, jobId));
  const body = await deliveredCallback({
    answer: analysisResult(jobId, entry.id, 1),
    source: { jobId, attempt: 1 },
  });
  return { jobId, body, callback: qstashCallbackSchema.parse(JSON.parse(body)) };
}

async function accountRows(userId: string): Promise<number> {
  const [row] = await testDb().execute<{ n: number }>(sql`
    select (select count(*) from ${users} where id = ${userId})
         + (select count(*) from ${entries} where user_id = ${userId})
         + (select count(*) from ${jobs} where user_id = ${userId}) as n`);
  return Number(row?.n);
}

async function newSession(user: TestUser): Promise<string> {
  return chatSessionSchema.parse(
    await json(await call("/v1/sessions", { token: user.accessToken, body: { type: "free_chat" } }), 201),
  ).id;
}

describe("account deletion and the writer's other writes take locks in one order", () => {
  it("an analysis result landing meanwhile: both commit, no deadlock", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "The harbour at dusk, gulls everywhere." });
    const { callback } = await analysisInFlight(entry);

    // The result stops at the entry's analysis row, holding what it locked before it; the deletion
    // starts while it is under way.
    const { applied, deleted } = await whileHolding(
      sql`select 1 from entry_analyses where entry_id = ${entry.id} for update`,
      async (holder) => {
        const applied = settle(handleSuccessCallback(services, callback));
        await waitersBehind(holder, 1);
        const deleted = settle(deleteAccount(services, user.id));
        await waitersBehind(holder, 2);
        return { applied, deleted };
      },
    );

    expect((await deleted).error).toBeUndefined();
    expect((await applied).error).toBeUndefined();
    expect((await applied).value?.outcome).toBe("applied");
    expect(await accountRows(user.id)).toBe(0);
  });

  it("a chat message stored meanwhile: the deletion commits, the message finds the account gone", async () => {
    const user = await registerUser();
    const sessionId = await newSession(user);

    // The deletion stops in its cascade (at the writer's refresh token), holding the users row; the
    // message comes while it waits.
    const { deleted, stored } = await whileHolding(
      sql`select 1 from refresh_tokens where user_id = ${user.id} for update`,
      async (holder) => {
        const deleted = settle(deleteAccount(services, user.id));
        await waitersBehind(holder, 1);
        const stored = settle(
          prepareReply(strict, keyring(), user.id, sessionId, "Still there?", async () => []),
        );
        await waitersBehind(holder, 2);
        return { deleted, stored };
      },
    );

    expect((await deleted).error).toBeUndefined();
    const refused = (await stored).error;
    expect(refused).toBeInstanceOf(InkwellError);
    expect((refused as InkwellError).code).toBe("NOT_FOUND");
    expect(await accountRows(user.id)).toBe(0);
  });

  it("an entry edit under way: both commit, no deadlock", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "First draft." });

    // The edit stops at the analysis row it resets, holding the entry; the deletion starts meanwhile.
    const { edited, deleted } = await whileHolding(
      sql`select 1 from entry_analyses where entry_id = ${entry.id} for update`,
      async (holder) => {
        const edited = settle(
          updateEntry(strict, keyring(), user.id, entry.id, { content: "Second draft." }, async () => {}),
        );
        await waitersBehind(holder, 1);
        const deleted = settle(deleteAccount(services, user.id));
        await waitersBehind(holder, 2);
        return { edited, deleted };
      },
    );

    expect((await deleted).error).toBeUndefined();
    expect((await edited).error).toBeUndefined();
    expect((await edited).value?.content).toBe("Second draft.");
    expect(await accountRows(user.id)).toBe(0);
  });
});

describe("DELETE /v1/me while the writer's results and a chat reply land", () => {
  it("answers 202 every time; the callbacks and the reply never answer 500 or 503", async () => {
    for (let round = 0; round < 4; round++) {
      const user = await registerUser();
      const written = await Promise.all(
        Array.from({ length: 6 }, (_, i) => createEntry(user, { content: `Entry ${i} of round ${round}.` })),
      );
      const inFlight = await Promise.all(written.map(analysisInFlight));
      const sessionId = await newSession(user);
      const failure = await deliveredCallback({
        status: 500,
        source: { jobId: inFlight[0]?.jobId ?? "", attempt: 1 },
      });

      const [deleted, reply, ...callbacks] = await Promise.all([
        call("/v1/me", { method: "DELETE", token: user.accessToken, body: { password: user.password } }),
        call(`/v1/sessions/${sessionId}/messages`, {
          token: user.accessToken,
          body: { content: "One more thing before I go." },
        }),
        ...inFlight.map(({ body }) => postSigned(CALLBACK, body)),
        postSigned(FAILURE, failure),
      ]);

      expect(deleted?.status, await deleted?.clone().text()).toBe(202);
      // Stored before the deletion (200), or refused once the account is gone (401, 404).
      expect([200, 401, 404], await reply?.clone().text()).toContain(reply?.status);
      for (const res of callbacks) {
        expect(res.status, await res.clone().text()).toBe(200);
        expect(["applied", "unknown-job", "requeued", "ignored-stale-attempt", "duplicate"]).toContain(
          (await res.json<{ outcome: string }>()).outcome,
        );
      }
      expect(await accountRows(user.id)).toBe(0);
      const left = await testDb()
        .select({ id: jobs.id })
        .from(jobs)
        .where(
          inArray(
            jobs.id,
            inFlight.map((job) => job.jobId),
          ),
        );
      expect(left).toEqual([]);
    }
  });
});
