import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, withEnrollment } from "../src/config.ts";
import { EnrollmentRefused, enroll } from "../src/enrollment.ts";
import { startFakeEdge } from "./helpers/fake-edge.ts";
import { randomSigningKey } from "./helpers/qstash-signer.ts";

const JOIN_SECRET = "njs_Jq7vWm2xKp9rTz4bYc6dNf8gHs3kLa5e";
const keys = () => ({
  QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(),
  QSTASH_NEXT_SIGNING_KEY: randomSigningKey(),
});
const quiet = { info: () => {}, warn: () => {} };

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, { hostname: "replica-1" });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
    throw error;
  }
  return [];
}

describe("configuration for enrollment", () => {
  it("one env file, several replicas: each takes its name and URL from its host name", () => {
    const env = {
      ...keys(),
      EDGE_URL: "https://edge.example.com/",
      NODE_JOIN_SECRET: JOIN_SECRET,
      NODE_PUBLIC_URL: "https://{hostname}.nodes.example.com",
    };
    const one = loadConfig(env, { hostname: "inkwell-node-7f9c" });
    const two = loadConfig(env, { hostname: "Node_2.local" });
    expect(one.enrollment).toEqual({
      edgeUrl: "https://edge.example.com",
      joinSecret: JOIN_SECRET,
      name: "inkwell-node-7f9c",
    });
    expect(one.publicUrl).toBe("https://inkwell-node-7f9c.nodes.example.com");
    expect(two.enrollment?.name).toBe("node_2.local");
    expect(two.publicUrl).toBe("https://node-2-local.nodes.example.com");
    // No token until enrollment hands one out; then the heartbeat and the edge checks use it.
    expect(one.edge).toBeUndefined();
    expect(one.nodeToken).toBeUndefined();
    const enrolled = withEnrollment(one, "nt_token_from_the_edge_0123456789");
    expect(enrolled.edge).toEqual({
      url: "https://edge.example.com",
      token: "nt_token_from_the_edge_0123456789",
    });
    expect(enrolled.nodeToken).toBe("nt_token_from_the_edge_0123456789");
  });

  it("NODE_NAME overrides the host name", () => {
    const config = loadConfig(
      { ...keys(), EDGE_URL: "https://edge.example.com", NODE_JOIN_SECRET: JOIN_SECRET, NODE_NAME: "gpu-a" },
      { hostname: "ignored" },
    );
    expect(config.enrollment?.name).toBe("gpu-a");
  });

  it("refuses a node token and a join secret together, a join secret without EDGE_URL, and a token pasted as a join secret", () => {
    expect(
      problems({
        ...keys(),
        EDGE_URL: "https://e.example",
        NODE_JOIN_SECRET: JOIN_SECRET,
        NODE_TOKEN: "nt_Aq9wErTy7uIo5pLk3jHg",
      }),
    ).toEqual([expect.stringMatching(/^NODE_JOIN_SECRET: cannot be set together with NODE_TOKEN/)]);
    expect(problems({ ...keys(), NODE_JOIN_SECRET: JOIN_SECRET })).toEqual([
      "EDGE_URL: is required when NODE_JOIN_SECRET is set",
    ]);
    const pasted = problems({
      ...keys(),
      EDGE_URL: "https://e.example",
      NODE_JOIN_SECRET: "nt_Aq9wErTy7uIo5pLk3jHg",
    });
    expect(pasted).toEqual([expect.stringMatching(/^NODE_JOIN_SECRET: must be a join secret/)]);
    expect(pasted.join()).not.toContain("nt_Aq9wErTy7uIo5pLk3jHg");
  });
});

describe("enroll", () => {
  let edge: Awaited<ReturnType<typeof startFakeEdge>> | undefined;
  afterEach(async () => {
    await edge?.close();
    edge = undefined;
  });

  it("sends its name and URL with the join secret and returns its own identity, retrying an edge that is not up yet", async () => {
    const reply = {
      nodeId: "0193-node",
      name: "pool-r1",
      url: "https://r1.example",
      token: "nt_own_token_abcdefghijk",
    };
    edge = await startFakeEdge([{ status: 503 }, { status: 200, body: reply }]);
    const result = await enroll({
      edgeUrl: edge.url,
      joinSecret: JOIN_SECRET,
      name: "r1",
      publicUrl: "https://r1.example",
      log: quiet,
      maxBackoffMs: 10,
    });
    expect(result).toEqual(reply);
    expect(edge.received).toHaveLength(2);
    expect(edge.received[1]).toMatchObject({
      method: "POST",
      path: "/internal/nodes/enroll",
      headers: { authorization: `Bearer ${JOIN_SECRET}` },
      body: { name: "r1", url: "https://r1.example" },
    });
  });

  it("stops at a refusal and says what to fix, without the secret", async () => {
    for (const [status, hint] of [
      [401, /wrong or was revoked/],
      [403, /not on a host this join secret allows/],
    ] as const) {
      edge = await startFakeEdge([{ status, body: { code: "X" } }]);
      const error = await enroll({
        edgeUrl: edge.url,
        joinSecret: JOIN_SECRET,
        name: "r1",
        publicUrl: "https://r1.example",
        log: quiet,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnrollmentRefused);
      expect((error as Error).message).toMatch(hint);
      expect((error as Error).message).not.toContain(JOIN_SECRET);
      expect(edge.received).toHaveLength(1);
      await edge.close();
      edge = undefined;
    }
  });
});
