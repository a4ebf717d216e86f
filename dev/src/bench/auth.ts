import { registerBenchWriter, startBenchEdge, startBenchStack } from "./bench-stack.ts";
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
  const bench = await startBenchStack("auth", ["postgres", "redis", "qstash"], log);
  const stops: (() => Promise<void>)[] = [bench.stack.stop];
  try {
    const edge = await startBenchEdge(bench);
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
    const { accessToken } = await registerBenchWriter(edge.url);
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
