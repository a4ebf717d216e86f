import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ConfigError, loadConfig } from "../../src/config.ts";
import { createChromaStore } from "../../src/vectors/chroma-store.ts";
import { createVectorSearch } from "../../src/vectors/vector-search.ts";
import { randomSigningKey } from "../helpers/qstash-signer.ts";

const silent = { info() {}, warn() {} };

/**
 * Stands in for the token-checking proxy of deploy/home/: refuses any request without the expected
 * x-chroma-token, and otherwise answers like an empty Chroma 1.x (one tenant, one database, no collections).
 */
async function tokenCheckingChroma(token: string): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader("content-type", "application/json");
    if (req.headers["x-chroma-token"] !== token) {
      res.writeHead(401).end(JSON.stringify({ error: "Unauthorized", message: "missing or wrong token" }));
      return;
    }
    if (req.url === "/api/v2/auth/identity") {
      res.end(JSON.stringify({ user_id: "", tenant: "default_tenant", databases: ["default_database"] }));
    } else if (req.url?.includes("/collections/")) {
      res.writeHead(404).end(JSON.stringify({ error: "NotFoundError", message: "no such collection" }));
    } else {
      res.end("[]");
    }
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe("CHROMA_TOKEN", () => {
  it("is sent as x-chroma-token on every request the vector store makes", async () => {
    const token = randomSigningKey();
    const chroma = await tokenCheckingChroma(token);
    const store = createChromaStore(chroma.url, silent, token);
    await expect(store.deleteUser("0190a0a0-0000-7000-8000-000000000001")).resolves.toBe(true);
    expect(chroma.seen.length).toBeGreaterThan(0);
    expect(chroma.seen.every((headers) => headers["x-chroma-token"] === token)).toBe(true);
  });

  it("is sent by vector search too", async () => {
    const token = randomSigningKey();
    const chroma = await tokenCheckingChroma(token);
    const search = createVectorSearch(chroma.url, token);
    const result = await search.search({
      userId: "0190a0a0-0000-7000-8000-000000000001",
      model: "test-model",
      embedding: [1, 0, 0],
      limit: 5,
    });
    expect(result.items).toEqual([]);
    expect(chroma.seen.length).toBeGreaterThan(0);
    expect(chroma.seen.every((headers) => headers["x-chroma-token"] === token)).toBe(true);
  });

  it("without it a token-checking Chroma refuses the store", async () => {
    const chroma = await tokenCheckingChroma(randomSigningKey());
    const store = createChromaStore(chroma.url, silent);
    await expect(store.deleteUser("0190a0a0-0000-7000-8000-000000000001")).rejects.toThrow();
    expect(chroma.seen[0]?.["x-chroma-token"]).toBeUndefined();
  });

  it("is read from the environment, must be strong, and needs CHROMA_URL", () => {
    const keys = {
      QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(),
      QSTASH_NEXT_SIGNING_KEY: randomSigningKey(),
    };
    const token = randomSigningKey();
    expect(loadConfig({ ...keys, CHROMA_URL: "http://chroma:8000", CHROMA_TOKEN: token }).chromaToken).toBe(
      token,
    );
    expect(
      loadConfig({ ...keys, ENVIRONMENT: "development", CHROMA_URL: "http://chroma:8000" }).chromaToken,
    ).toBeUndefined();
    expect(() => loadConfig({ ...keys, CHROMA_URL: "http://chroma:8000", CHROMA_TOKEN: "short" })).toThrow(
      /CHROMA_TOKEN: is too weak/,
    );
    try {
      loadConfig({ ...keys, CHROMA_TOKEN: token });
      expect.unreachable("CHROMA_TOKEN without CHROMA_URL must be refused");
    } catch (error) {
      expect((error as ConfigError).variables).toEqual(["CHROMA_URL"]);
    }
  });

  it("is required with CHROMA_URL outside development: the node refuses to start without it", () => {
    const keys = {
      QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(),
      QSTASH_NEXT_SIGNING_KEY: randomSigningKey(),
      CHROMA_URL: "http://chroma:8000",
    };
    for (const environment of [{}, { ENVIRONMENT: "production" }]) {
      try {
        loadConfig({ ...keys, ...environment });
        expect.unreachable("CHROMA_URL without CHROMA_TOKEN must be refused in production");
      } catch (error) {
        expect((error as ConfigError).variables).toEqual(["CHROMA_TOKEN"]);
        expect((error as Error).message).toMatch(/private network/);
      }
    }
    // Development and tests run a local Chroma without the proxy; a node without Chroma needs no token.
    expect(loadConfig({ ...keys, ENVIRONMENT: "development" }).environment).toBe("development");
    expect(loadConfig({ ...keys, ENVIRONMENT: "test" }).chromaUrl).toBe("http://chroma:8000");
    const { CHROMA_URL: _unset, ...withoutChroma } = keys;
    expect(loadConfig(withoutChroma).environment).toBe("production");
  });
});
