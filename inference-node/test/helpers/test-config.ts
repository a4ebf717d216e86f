import { type Config, loadConfig } from "../../src/config.ts";
import { randomSigningKey } from "./qstash-signer.ts";

/** A valid config with fresh random keys per call, so no test depends on a fixed secret. */
export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(),
    QSTASH_NEXT_SIGNING_KEY: randomSigningKey(),
    NODE_PUBLIC_URL: "http://node.test:8788",
    LOG_LEVEL: "silent",
    ...env,
  });
}
