import type { TestProject } from "vitest/node";
import { spawnTestStack } from "../../dev/src/testing/stack-client.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    edgeVars: Record<string, string>;
  }
}

/**
 * Real Postgres, Redis (behind the Upstash REST front) and the QStash stand-in for the Worker tests,
 * run in a separate Node process: this project resolves modules for workerd, not for Node.
 */
export default async function setup(project: TestProject) {
  const { stack, stop } = await spawnTestStack(["postgres", "redis", "qstash"], "edge");
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("edgeVars", stack.edgeVars);
  return stop;
}
