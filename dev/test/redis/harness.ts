import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../src/lib/ports.ts";
import { type RunningRedis, startRedis } from "../../src/redis/redis-server.ts";
import {
  type RunningUpstashRestServer,
  startUpstashRestServer,
} from "../../src/redis/upstash-rest-server.ts";

export interface RedisStack {
  redis: RunningRedis;
  rest: RunningUpstashRestServer;
  token: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A throwaway redis-server (nothing on disk) with the REST front in front of it. */
export async function startRedisStack(): Promise<RedisStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "inkwell-redis-test-"));
  const redis = await startRedis({
    port: await freePort(),
    dataDir,
    persist: false,
    logFile: path.join(dataDir, "redis.log"),
  });
  const token = "test-token-not-a-secret";
  try {
    const rest = await startUpstashRestServer({ port: 0, token, redisUrl: redis.url });
    return {
      redis,
      rest,
      token,
      dataDir,
      stop: async () => {
        await rest.close();
        await redis.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await redis.stop();
    throw err;
  }
}
