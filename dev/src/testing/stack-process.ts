/**
 * Runs a test stack in its own Node process and prints one JSON line describing it, so that a test
 * runner with non-Node module resolution (the workerd pool) can use real services without importing
 * their Node code. Stops the stack when stdin closes or on SIGTERM.
 */

import { takeOverSignals } from "../lib/signals.ts";
import type { StackPart } from "../stack.ts";
import { startTestStack } from "./test-stack.ts";

const parts = (process.argv[2] ?? "postgres,redis,qstash").split(",") as StackPart[];
const stack = await startTestStack(parts, process.argv[3] ?? "suite");
const { stop, ...described } = stack;
process.stdout.write(`${JSON.stringify({ ready: described })}\n`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await stop();
  process.exit(0);
};
process.stdin.on("close", shutdown);
process.stdin.on("end", shutdown);
process.stdin.resume();
takeOverSignals(() => void shutdown());
