import { describe, expect, it } from "vitest";
import { hashToken } from "../src/crypto.ts";
import { parseEdgeSignature, signEdgeRequest, verifyEdgeSignature } from "../src/edge-signature.ts";

const nodeToken = "node_tok_3f9a8b7c6d5e4f3a2b1c";
const request = { method: "POST", path: "/v1/embed", body: '{"texts":["hi"]}' };

describe("edge request signatures", () => {
  it("round-trips and binds method, path, body and time", async () => {
    const header = await signEdgeRequest({ nodeToken, ...request, timestamp: 1_700_000_000 });
    expect(header).toMatch(/^t=1700000000,n=[0-9a-f]{32},v1=[0-9a-f]{64}$/);
    const ok = await verifyEdgeSignature({ nodeToken, ...request, header, now: 1_700_000_030 });
    expect(ok).toMatchObject({ ok: true, timestamp: 1_700_000_000 });
    for (const change of [
      { method: "PUT" },
      { path: "/v1/search" },
      { body: '{"texts":["ho"]}' },
      { nodeToken: "another_token_123456" },
    ]) {
      expect(
        await verifyEdgeSignature({ nodeToken, ...request, ...change, header, now: 1_700_000_030 }),
      ).toEqual({ ok: false, reason: "mismatch" });
    }
    expect(await verifyEdgeSignature({ nodeToken, ...request, header, now: 1_700_000_061 })).toEqual({
      ok: false,
      reason: "stale",
    });
    expect(await verifyEdgeSignature({ nodeToken, ...request, header: "v1=abc", now: 1 })).toEqual({
      ok: false,
      reason: "malformed",
    });
    // The nonce is signed too: swapping in another one breaks the MAC.
    const swapped = header.replace(/n=[0-9a-f]{32}/, `n=${"0".repeat(32)}`);
    expect(await verifyEdgeSignature({ nodeToken, ...request, header: swapped, now: 1_700_000_030 })).toEqual(
      { ok: false, reason: "mismatch" },
    );
  });

  it("gives two identical requests in the same second different signatures", async () => {
    const a = await signEdgeRequest({ nodeToken, ...request, timestamp: 1_700_000_000 });
    const b = await signEdgeRequest({ nodeToken, ...request, timestamp: 1_700_000_000 });
    expect(parseEdgeSignature(a)?.signature).not.toBe(parseEdgeSignature(b)?.signature);
    for (const header of [a, b]) {
      expect(await verifyEdgeSignature({ nodeToken, ...request, header, now: 1_700_000_000 })).toMatchObject({
        ok: true,
      });
    }
  });

  it("keys the MAC with a label-derived key, never the token hash the edge stores", async () => {
    const nonce = "ab".repeat(16);
    const header = await signEdgeRequest({ nodeToken, ...request, timestamp: 5, nonce });
    const { createHash, createHmac } = await import("node:crypto");
    const bodyHash = createHash("sha256").update(request.body).digest("hex");
    const mac = (key: string) =>
      createHmac("sha256", key).update(`5.${nonce}.POST./v1/embed.${bodyHash}`).digest("hex");
    const derived = createHash("sha256").update(`inkwell-edge-signature:v1:${nodeToken}`).digest("hex");
    expect(parseEdgeSignature(header)).toEqual({ timestamp: 5, nonce, signature: mac(derived) });
    // A leaked nodes table (token hashes) must not be enough to sign requests to a node.
    expect(parseEdgeSignature(header)?.signature).not.toBe(mac(await hashToken(nodeToken)));
  });
});
