import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, freeStackPorts } from "../lib/ports.ts";
import { generateSecrets } from "../secrets.ts";
import { startEdge, startStack } from "../stack.ts";
import { measure, type Series } from "./stats.ts";

export interface AuthBenchResult {
  concurrency: number;
  jwt: Series;
  apiKey: Series;
  /** API-key p50 over JWT p50: what a key costs against a signed token. */
  apiKeyOverJwtP50: number;
}

/** `GET /v1/me` through `wrangler dev`, authenticated with an access JWT and with a (cached) API key. */
export async function authBench(log: (m: string) => void): Promise<AuthBenchResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "inkwell-bench-auth-"));
  const stack = await startStack({
    dataDir,
    ports: await freeStackPorts(),
    secrets: generateSecrets(),
    persistent: false,
    parts: ["postgres", "redis", "qstash"],
    log,
  });
  const stops: (() => Promise<void>)[] = [stack.stop];
  try {
    const edge = await startEdge({
      port: await freePort(),
      vars: { ...stack.edgeVars, RATE_LIMIT_USER_PER_MINUTE: "100000", RATE_LIMIT_IP_PER_MINUTE: "100000" },
      databaseUrl: stack.databaseUrl,
      dataDir,
    });
    stops.unshift(edge.stop);
    const post = async (p: string, body: unknown, token?: string) =>
      await fetch(`${edge.url}${p}`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const reg = await post("/v1/auth/register", {
      email: `bench-${crypto.randomUUID()}@example.test`,
      password: "bench password 1234",
    });
    const { accessToken } = (await reg.json()) as { accessToken: string };
    const keyRes = await post("/v1/api-keys", { name: "bench", scopes: ["entries:read"] }, accessToken);
    const { key } = (await keyRes.json()) as { key: string };
    const me = (token: string) => async () => {
      const res = await fetch(`${edge.url}/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      return res.status === 200;
    };
    const options = { total: 600, concurrency: 8, warmup: 100 };
    log("measuring GET /v1/me with a JWT");
    const jwt = await measure(me(accessToken), options);
    log("measuring GET /v1/me with an API key");
    const apiKey = await measure(me(key), options);
    return {
      concurrency: options.concurrency,
      jwt,
      apiKey,
      apiKeyOverJwtP50: Math.round((apiKey.p50Ms / jwt.p50Ms) * 100) / 100,
    };
  } finally {
    for (const stop of stops) await stop();
  }
}
