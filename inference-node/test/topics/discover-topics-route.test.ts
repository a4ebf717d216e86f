import { discoverTopicsResultSchema, problemSchema } from "@inkwell/shared";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import type { Config } from "../../src/config.ts";
import { errorHandler } from "../../src/plugins/error-handler.ts";
import { qstashVerify } from "../../src/plugins/qstash-verify.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { discoverTopicsRoute } from "../../src/topics/discover-topics-route.ts";
import { signLikeQstash } from "../helpers/qstash-signer.ts";
import { loadBuiltRuntime } from "../helpers/real-runtime.ts";
import { testConfig, testHardware } from "../helpers/test-config.ts";

const hardware = testHardware;
const URL = "http://node.test:8788/jobs/discover-topics";

let runtime: InferenceRuntime;
let app: FastifyInstance;
let config: Config;

/**
 * The route in a QStash-verified context with the app's error handler, without the app's load shedding:
 * on a busy CI machine its event-loop check answers 503 to whatever runs next, which is its job, not this
 * route's. That the real app registers the route is checked separately.
 */
async function jobApp(): Promise<FastifyInstance> {
  const instance = Fastify();
  await instance.register(errorHandler);
  await instance.register(async (jobs) => {
    await jobs.register(qstashVerify, {
      currentSigningKey: config.qstash.currentSigningKey,
      nextSigningKey: config.qstash.nextSigningKey,
      publicUrl: config.publicUrl,
    });
    await jobs.register(discoverTopicsRoute, { runtime });
  });
  return instance;
}

beforeAll(async () => {
  runtime = await loadBuiltRuntime();
  config = testConfig();
  app = await jobApp();
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

it("is registered by the node app under the signed /jobs routes", async () => {
  const node = await buildApp(config, { hardware, runtime });
  try {
    expect(node.hasRoute({ method: "POST", url: "/jobs/discover-topics" })).toBe(true);
  } finally {
    await node.close();
  }
});

function deliver(job: unknown, key = config.qstash.currentSigningKey) {
  const body = JSON.stringify(job);
  return app.inject({
    method: "POST",
    url: "/jobs/discover-topics",
    headers: {
      "content-type": "application/json",
      "upstash-signature": signLikeQstash({ key, url: URL, body }),
    },
    payload: body,
  });
}

const texts = {
  running: [
    "Long run along the canal, twelve kilometres, legs heavy but strong.",
    "Interval session at the track, my lungs burning on every lap.",
    "Marathon training plan: easy run today, tempo run on Thursday.",
    "Ran my fastest parkrun, sprinting the last hundred metres.",
    "Knee sore after the long run, foam rolling and stretching tonight.",
  ],
  money: [
    "The credit card bill arrived and the balance made me feel sick.",
    "Rent is going up again; I redid the monthly budget spreadsheet.",
    "Paid off the last of the debt and moved fifty pounds into savings.",
    "The electricity bill doubled, so the heating stays off until evening.",
    "Counting pounds until payday, beans on toast for the rest of the week.",
  ],
};
const entries = Object.entries(texts).flatMap(([theme, list]) =>
  list.map((text, i) => ({ id: `${theme}-${i}`, text })),
);

describe("POST /jobs/discover-topics", () => {
  it("embeds the entries and answers with labelled topics", async () => {
    const response = await deliver({ jobId: "job_t1", userId: "user_1", entries });
    expect(response.statusCode).toBe(200);
    const result = discoverTopicsResultSchema.parse(response.json());
    expect(result.jobId).toBe("job_t1");
    expect(result.model).toBe(runtime.models.find((m) => m.task === "embedding")?.id);
    expect(result.topics.length).toBeGreaterThanOrEqual(1);
    const members = result.topics.flatMap((topic) => topic.memberIds);
    expect(new Set(members).size).toBe(members.length);
    expect(result.retiredIds).toEqual([]);
    for (const topic of result.topics) {
      expect(topic.label.length).toBeGreaterThan(0);
      expect(topic.centroid).toHaveLength(result.topics[0]?.centroid.length ?? 0);
    }
  });

  it("keeps the ids of previous topics and retires the rest", async () => {
    const first = discoverTopicsResultSchema.parse(
      (await deliver({ jobId: "j1", userId: "u", entries })).json(),
    );
    const previous = [
      ...first.topics.map(({ id, centroid, memberIds }) => ({ id, centroid, memberIds })),
      { id: "gone", centroid: [], memberIds: ["deleted-entry"] },
    ];
    const more = [
      ...entries,
      { id: "running-new", text: "Hill repeats with the running club, calves on fire." },
    ];
    const second = discoverTopicsResultSchema.parse(
      (await deliver({ jobId: "j2", userId: "u", entries: more, previous })).json(),
    );
    expect(second.topics.map((t) => t.id).sort()).toEqual(first.topics.map((t) => t.id).sort());
    expect(second.retiredIds).toEqual(["gone"]);
  });

  it("uses embeddings the edge sends when they come from the node's model", async () => {
    const embedded = await runtime.embed(entries.map((entry) => entry.text));
    const withVectors = entries.map((entry, i) => ({
      ...entry,
      embedding: Array.from(embedded.vectors[i] ?? []),
    }));
    const given = discoverTopicsResultSchema.parse(
      (await deliver({ jobId: "j3", userId: "u", model: embedded.model, entries: withVectors })).json(),
    );
    const computed = discoverTopicsResultSchema.parse(
      (await deliver({ jobId: "j4", userId: "u", entries })).json(),
    );
    expect(given.topics.map((t) => t.memberIds)).toEqual(computed.topics.map((t) => t.memberIds));
  });

  it("refuses an invalid body and an unsigned or wrongly signed delivery", async () => {
    const invalid = await deliver({ jobId: "j5", entries: "nope" });
    expect(invalid.statusCode).toBe(400);
    expect(problemSchema.parse(invalid.json()).code).toBe("VALIDATION_FAILED");

    const unsigned = await app.inject({
      method: "POST",
      url: "/jobs/discover-topics",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ jobId: "j6", userId: "u", entries }),
    });
    expect(unsigned.statusCode).toBe(401);
    const forged = await deliver({ jobId: "j7", userId: "u", entries }, "sig_not_the_real_key_000000000000");
    expect(forged.statusCode).toBe(401);
  });

  it("refuses embeddings of mixed lengths", async () => {
    const response = await deliver({
      jobId: "j8",
      userId: "u",
      model: runtime.models.find((m) => m.task === "embedding")?.id,
      entries: [
        { id: "a", text: "one", embedding: [1, 0] },
        { id: "b", text: "two", embedding: [1, 0, 0] },
      ],
    });
    expect(response.statusCode).toBe(400);
  });
});
