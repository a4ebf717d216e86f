import path from "node:path";
import { writeTinyLlamaGguf } from "@inkwell/inference-node/testing/tiny-gguf";
import type { RunningNode } from "../../src/stack.ts";
import { startTestStack } from "../../src/testing/test-stack.ts";
import { database, eventually, type Sql } from "../pipeline/helpers.ts";

export type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/**
 * The whole local stack with one node serving the generated random-weight model through llama.cpp,
 * returned once the edge has the node's heartbeat naming its language model (chat and LLM jobs go only
 * to such a node). Random weights never emit end-of-sequence: every answer runs to its token limit.
 */
export async function startLlmStack(
  name: string,
): Promise<{ stack: RunningStack; node: RunningNode; sql: Sql; logFile: string }> {
  const stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], name);
  const sql = database(stack.databaseUrl);
  const gguf = writeTinyLlamaGguf(path.join(stack.dataDir, `tiny-${name}.gguf`), { contextLength: 4096 });
  const node = await stack.startNode("llm", {
    LLM_BACKEND: "llama-cpp",
    LLAMA_GGUF_PATH: gguf.path,
    LLM_CONTEXT_SIZE: "4096",
    LLM_THREADS: "1",
    HEARTBEAT_INTERVAL_MS: "1000",
  });
  await eventually(
    async () => {
      const [row] = await sql<{ models: { task: string }[]; status: string }[]>`
        select models, status from nodes where id = ${node.id}`;
      return row?.status === "healthy" && row.models.some((m) => m.task === "llm");
    },
    { timeoutMs: 30_000, what: "the node's heartbeat with its language model" },
  );
  return { stack, node, sql, logFile: path.join(stack.dataDir, "logs", "node-llm.log") };
}
