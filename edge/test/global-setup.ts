import { spawnTestStack } from "@inkwell/dev/testing/stack-client";
import { ensureWebBuild } from "@inkwell/dev/testing/web-build";
import type { TestProject } from "vitest/node";
import { startMailReceiver } from "./mail-receiver.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    edgeVars: Record<string, string>;
    /** A mail provider's API stand-in (mail-receiver.ts); the Worker sends mail only where a test points it there. */
    mailReceiverUrl: string;
  }
}

/**
 * Real Postgres, Redis (behind the Upstash REST front) and the QStash stand-in for the Worker tests,
 * run in a separate Node process: this project resolves modules for workerd, not for Node.
 */
export default async function setup(project: TestProject) {
  // wrangler.toml's [assets] folder must exist before the Worker under test is configured.
  await ensureWebBuild(() => {});
  const { stack, stop } = await spawnTestStack(["postgres", "redis", "qstash"], "edge");
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("edgeVars", stack.edgeVars);
  const mail = await startMailReceiver();
  project.provide("mailReceiverUrl", mail.url);
  return async () => {
    await mail.close();
    await stop();
  };
}
