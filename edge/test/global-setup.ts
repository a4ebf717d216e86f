import type { TestProject } from "vitest/node";
import { startTestStack } from "../../dev/src/testing/test-stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    edgeVars: Record<string, string>;
  }
}

/** Real Postgres, Redis (behind the Upstash REST front) and the QStash stand-in for the Worker tests. */
export default async function setup(project: TestProject) {
  const stack = await startTestStack(["postgres", "redis", "qstash"], "edge");
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("edgeVars", stack.edgeVars);
  return async () => {
    await stack.stop();
  };
}
