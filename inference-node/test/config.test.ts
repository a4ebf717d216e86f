import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { randomSigningKey } from "./helpers/qstash-signer.ts";

function keys() {
  return { QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(), QSTASH_NEXT_SIGNING_KEY: randomSigningKey() };
}

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  it("applies defaults when only the signing keys are set", () => {
    const config = loadConfig(keys());
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8788,
      publicUrl: "http://127.0.0.1:8788",
      publicUrlDerived: true,
      edge: undefined,
      chromaUrl: undefined,
      heartbeatIntervalMs: 5000,
      logLevel: "info",
      inferenceDevice: "auto",
    });
  });

  it("lists every missing signing key by name", () => {
    const error = configError({});
    expect(error.variables).toEqual(["QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"]);
    expect(error.message).toContain("QSTASH_CURRENT_SIGNING_KEY: is required");
    expect(error.message).toContain("QSTASH_NEXT_SIGNING_KEY: is required");
  });

  it("rejects weak signing keys without echoing them", () => {
    const error = configError({ QSTASH_CURRENT_SIGNING_KEY: "hunter2", QSTASH_NEXT_SIGNING_KEY: "changeme" });
    expect(error.variables).toEqual(["QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"]);
    expect(error.message).toMatch(/too weak/);
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("changeme");
  });

  it("rejects long but repetitive keys", () => {
    const error = configError({ ...keys(), QSTASH_NEXT_SIGNING_KEY: "abababababababababababab" });
    expect(error.variables).toEqual(["QSTASH_NEXT_SIGNING_KEY"]);
    expect(error.message).toMatch(/different characters/);
  });

  it("treats empty variables as unset", () => {
    const error = configError({ ...keys(), QSTASH_NEXT_SIGNING_KEY: "  " });
    expect(error.variables).toEqual(["QSTASH_NEXT_SIGNING_KEY"]);
    expect(loadConfig({ ...keys(), EDGE_URL: "", NODE_PORT: "" }).port).toBe(8788);
  });

  it("requires NODE_TOKEN when EDGE_URL is set, reported together with other problems", () => {
    const error = configError({ EDGE_URL: "https://edge.example" });
    expect(error.variables).toEqual(["QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY", "NODE_TOKEN"]);
  });

  it("rejects malformed values, naming each variable", () => {
    const error = configError({
      ...keys(),
      NODE_PORT: "eighty",
      NODE_PUBLIC_URL: "node.local",
      EDGE_URL: "ftp://edge.example",
      NODE_TOKEN: "short",
      CHROMA_URL: "not a url",
      HEARTBEAT_INTERVAL_MS: "10",
      LOG_LEVEL: "loud",
      INFERENCE_DEVICE: "tpu",
    });
    expect(error.variables.sort()).toEqual(
      [
        "NODE_PORT",
        "NODE_PUBLIC_URL",
        "EDGE_URL",
        "NODE_TOKEN",
        "CHROMA_URL",
        "HEARTBEAT_INTERVAL_MS",
        "LOG_LEVEL",
        "INFERENCE_DEVICE",
      ].sort(),
    );
  });

  it("enables the heartbeat only with both EDGE_URL and NODE_TOKEN, and normalises URLs", () => {
    const token = randomSigningKey();
    const config = loadConfig({
      ...keys(),
      EDGE_URL: "https://edge.example/",
      NODE_TOKEN: token,
      NODE_PUBLIC_URL: "https://gpu.home.example/inkwell/",
      NODE_HOST: "0.0.0.0",
      NODE_PORT: "9000",
      INFERENCE_DEVICE: "cuda",
      CHROMA_URL: "http://127.0.0.1:8000",
      CHROMA_TOKEN: randomSigningKey(),
    });
    expect(config.edge).toEqual({ url: "https://edge.example", token });
    expect(config.publicUrl).toBe("https://gpu.home.example/inkwell");
    expect(config.publicUrlDerived).toBe(false);
    expect(config.port).toBe(9000);
    expect(config.inferenceDevice).toBe("cuda");
    expect(config.chromaUrl).toBe("http://127.0.0.1:8000");
  });

  it("brackets IPv6 hosts in the derived public URL", () => {
    expect(loadConfig({ ...keys(), NODE_HOST: "::1", NODE_PORT: "8800" }).publicUrl).toBe(
      "http://[::1]:8800",
    );
  });
});
