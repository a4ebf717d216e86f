import { afterAll, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import type { LlmBackend } from "../src/llm/backend.ts";
import { llmRuntime } from "../src/llm/select-backend.ts";
import { createNodeState } from "../src/node-state.ts";
import { fakeRuntime } from "./helpers/fake-runtime.ts";
import { testConfig, testHardware } from "./helpers/test-config.ts";

const hardware = testHardware;
const runtime = fakeRuntime();
afterAll(async () => {
  await runtime.close();
});

const chatModel: LlmBackend = {
  id: "ollama",
  health: async () => ({ ok: true }),
  async *generate() {},
  describe: () => ({ id: "ollama", model: "llama3.2:3b" }),
  close: async () => {},
};

it("reports its chat model in the heartbeat's models, so the edge routes chat and titles to it", async () => {
  const withLlm = createNodeState();
  const app = await buildApp(testConfig(), {
    hardware,
    runtime,
    state: withLlm,
    llm: llmRuntime(chatModel, { requested: "ollama", timeoutMs: 1000 }),
  });
  const without = createNodeState();
  const plain = await buildApp(testConfig(), {
    hardware,
    runtime,
    state: without,
    llm: llmRuntime(undefined, { requested: "none", timeoutMs: 1000 }),
  });
  try {
    const served = runtime.models.map((m) => ({ id: m.id, task: m.task }));
    expect(withLlm.models()).toEqual([...served, { id: "llama3.2:3b", task: "llm" }]);
    expect(without.models()).toEqual(served);
  } finally {
    await app.close();
    await plain.close();
  }
});
