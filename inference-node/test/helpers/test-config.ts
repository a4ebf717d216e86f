import type { Hardware } from "@inkwell/shared";
import { type Config, loadConfig } from "../../src/config.ts";
import { randomSigningKey } from "./qstash-signer.ts";

/** A valid config with fresh random keys per call, so no test depends on a fixed secret. */
export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(),
    QSTASH_NEXT_SIGNING_KEY: randomSigningKey(),
    NODE_PUBLIC_URL: "http://node.test:8788",
    LOG_LEVEL: "silent",
    // Tests run a local Chroma without the token-checking proxy a production node must have.
    ENVIRONMENT: "test",
    ...env,
  });
}

/** A CPU-only machine, for apps whose tests do not look at hardware. */
export const testHardware: Hardware = {
  cpu: { model: "test", cores: 2, arch: "x64" },
  memory: { totalMiB: 4096, freeMiB: 2048 },
  cuda: { available: false, reason: "test", gpus: [] },
  device: "cpu",
};
