import {
  EDGE_SIGNATURE_HEADER,
  readSignals,
  resultFromSignals,
  SAFETY_LEVELS,
  SAFETY_SIGNALS,
  safetyResultSchema,
  signEdgeRequest,
} from "@inkwell/shared";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ENTRY_HEADS,
  type EntryHead,
  entryInput,
  entryProbability,
  RULE_FEATURES,
  ruleFeatures,
} from "../../src/analysis/safety-entry-head.ts";
import { MEANING_HEADS } from "../../src/analysis/safety-heads.ts";
import {
  combine,
  entryHeadProbability,
  SafetyMeaning,
  safetyMeaningFor,
} from "../../src/analysis/safety-meaning.ts";
import { buildApp } from "../../src/app.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { fakeRuntime } from "../helpers/fake-runtime.ts";
import { randomSigningKey } from "../helpers/qstash-signer.ts";
import { loadBuiltRuntime } from "../helpers/real-runtime.ts";
import { testConfig } from "../helpers/test-config.ts";

const hardware = {
  cpu: { model: "test", cores: 2, arch: "x64" },
  memory: { totalMiB: 4096, freeMiB: 2048 },
  cuda: { available: false, reason: "test", gpus: [] },
  device: "cpu" as const,
};

let runtime: InferenceRuntime;
let app: FastifyInstance;
const nodeToken = randomSigningKey();

beforeAll(async () => {
  runtime = await loadBuiltRuntime();
  await safetyMeaningFor(runtime);
  app = await buildApp(testConfig({ NODE_TOKEN: nodeToken }), { hardware, runtime });
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

async function assess(text: unknown, signed = true) {
  const payload = JSON.stringify({ text });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signed) {
    headers[EDGE_SIGNATURE_HEADER] = await signEdgeRequest({
      nodeToken,
      method: "POST",
      path: "/v1/safety/assess",
      body: payload,
    });
  }
  return app.inject({ method: "POST", url: "/v1/safety/assess", headers, payload });
}

describe("POST /v1/safety/assess", () => {
  it("assesses a chat message with rules and meaning", async () => {
    const risky = await assess("ive saved up the pils and im doing it tonite when everyone is asleep");
    expect(risky.statusCode).toBe(200);
    const result = safetyResultSchema.parse(risky.json());
    expect(result.level).toBe("critical");
    expect(result.resources?.length).toBeGreaterThan(0);

    const safe = safetyResultSchema.parse(
      (await assess("this commute is killing me, I'd die for a coffee")).json(),
    );
    expect(safe.level).toBe("none");
  });

  it("refuses unsigned requests and invalid bodies", async () => {
    expect((await assess("I want to die", false)).statusCode).toBe(401);
    expect((await assess("")).statusCode).toBe(400);
  });
});

describe("the meaning layer", () => {
  it("embeds the prototype bank once per runtime", async () => {
    const first = await safetyMeaningFor(runtime);
    const second = await safetyMeaningFor(runtime);
    expect(second).toBe(first);
  });

  it("has a trained head for each offline encoder, sized to its vectors", () => {
    expect(MEANING_HEADS["use-lite"]?.weights).toHaveLength(512);
    expect(MEANING_HEADS["inkwell-static-embed-100d"]?.weights).toHaveLength(100);
    const extra = (id: string) => (ENTRY_HEADS[id]?.rules ? RULE_FEATURES : 0);
    expect(ENTRY_HEADS["use-lite"]?.dims).toBe(512 + extra("use-lite"));
    expect(ENTRY_HEADS["inkwell-static-embed-100d"]?.dims).toBe(100 + extra("inkwell-static-embed-100d"));
  });

  it("reads a whole text with the entry head's ensemble, and a vector of the wrong size as no answer", () => {
    const head: EntryHead = {
      dims: 2,
      threshold: 0.5,
      members: [
        // Hidden units: relu(x0) and relu(-x0); the output weighs the first up and the second down.
        { w1: [1, 0, -1, 0], b1: [0, 0], w2: [4, -4], b2: 0 },
        { w1: [0, 0, 0, 0], b1: [0, 0], w2: [1, 1], b2: 0 },
      ],
    };
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    expect(entryProbability(head, Float32Array.from([0.5, 0]))).toBeCloseTo((sigmoid(2) + 0.5) / 2, 6);
    expect(entryProbability(head, Float32Array.from([-0.5, 0]))).toBeCloseTo((sigmoid(-2) + 0.5) / 2, 6);
    expect(entryProbability(head, Float32Array.from([1, 0, 0]))).toBeNaN();
    const useLite = ENTRY_HEADS["use-lite"] as EntryHead;
    expect(entryProbability(useLite, new Float32Array(100))).toBeNaN();
  });

  it("a head that reads windows takes the riskiest window the rules did not explain away", () => {
    const members = [{ w1: [1, 0, -1, 0], b1: [0, 0], w2: [4, -4], b2: 0 }];
    const window = (x: number, cancelled: boolean) => ({
      window: { text: "", start: 0, end: 0 },
      vector: Float32Array.from([x, 0]),
      risk: 0,
      contrast: 0,
      signal: "plan" as const,
      cancelled,
    });
    const scores = {
      entry: Float32Array.from([-0.5, 0]),
      windows: [window(0.25, false), window(1, true)],
      reading: readSignals("a quiet day"),
      lexical: 0,
    };
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    const whole: EntryHead = { dims: 2, threshold: 0.5, members };
    expect(entryHeadProbability(whole, scores)).toBeCloseTo(sigmoid(-2), 6);
    // The cancelled window (negated, someone else's, fiction, past) never counts.
    expect(entryHeadProbability({ ...whole, windows: true }, scores)).toBeCloseTo(sigmoid(1), 6);
  });

  it("gives a head that reads the rules' findings their signals, level and the lexical probability after the vector", () => {
    const reading = readSignals("got the rope from the shed, doing it tonight after everyone is asleep");
    const features = ruleFeatures(reading, 0.25);
    expect(features).toHaveLength(RULE_FEATURES);
    const rules = resultFromSignals(reading);
    expect(rules.level).toBe("critical");
    for (const signal of rules.signals ?? []) expect(features[SAFETY_SIGNALS.indexOf(signal)]).toBe(1);
    expect(features[SAFETY_SIGNALS.length + SAFETY_LEVELS.indexOf("critical")]).toBe(1);
    expect(features[RULE_FEATURES - 1]).toBeCloseTo(0.25, 6);
    const vector = Float32Array.from([0.5, -0.5]);
    expect(entryInput({}, vector, reading, 0.25)).toBe(vector);
    const input = entryInput({ rules: true }, vector, reading, 0.25);
    expect(Array.from(input.subarray(0, 2))).toEqual([0.5, -0.5]);
    expect(Array.from(input.subarray(2))).toEqual(Array.from(features));
  });

  it("vetoes everyday cues of an act below the veto, never passive ideation or abuse, never on a broken model", () => {
    const never = { weights: [], bias: -100, threshold: 1.01 };
    const head: EntryHead = { dims: 2, threshold: 0.45, members: [], rules: true, veto: 0.3 };
    const assess = (text: string, entryP: number) => {
      const reading = readSignals(text);
      const scores = { reading, windows: [], entry: new Float32Array(2), length: text.length, lexical: 0 };
      return combine(scores, never, head, entryP);
    };
    const rifle = "cleaned the rifle tonight ready for the season opening on the 1st";
    expect(assess(rifle, 0.8).level).toBe("critical");
    expect(assess(rifle, 0.1).level).toBe("none");
    // A broken model (NaN) vetoes nothing: the rules stand.
    expect(assess(rifle, Number.NaN).level).toBe("critical");
    const passive = "i wish i could go to sleep and not wake up";
    expect(assess(passive, 0.1).level).toBe(assess(passive, 0.8).level);
    expect(assess(passive, 0.1).level).toBe("moderate");
    const abuse = "he hit me again last night and took my phone";
    expect(assess(abuse, 0.1).level).toBe("moderate");
    // Above the entry threshold the head raises the level as before.
    expect(
      assess("everything feels pointless and heavy lately and i cannot see it getting any better", 1).level,
    ).toBe("high");
  });

  it("falls back to the rules for an encoder without a head", async () => {
    const fake = fakeRuntime();
    const meaning = await SafetyMeaning.create({
      model: "no-head-model",
      embed: async (texts) => (await fake.embed(texts)).vectors,
    });
    expect(meaning.head).toBeUndefined();
    const [result] = await meaning.assess(["I want to die."]);
    expect(result?.level).toBe("high");
    await fake.close();
  });
});
