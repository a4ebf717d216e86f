import { Client, Receiver } from "@upstash/qstash";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QStashServer } from "../../src/qstash/server.ts";
import {
  CURRENT_KEY,
  header,
  NEXT_KEY,
  type Recorder,
  startRecorder,
  startStandIn,
  TOKEN,
  tempDataDir,
} from "./harness.ts";

describe("publish and signed delivery", () => {
  let qstash: QStashServer;
  let destination: Recorder;
  let data: { dir: string; remove(): Promise<void> };
  let client: Client;

  beforeEach(async () => {
    data = await tempDataDir();
    qstash = await startStandIn({ dataDir: data.dir });
    destination = await startRecorder(() => ({ status: 200, body: "ok" }));
    client = new Client({ baseUrl: qstash.url, token: TOKEN, retry: false });
  });

  afterEach(async () => {
    await qstash.close();
    await destination.close();
    await data.remove();
  });

  it("delivers publishJSON with forwarded headers and a signature Receiver accepts", async () => {
    const url = `${destination.url}/hooks/entry?tenant=a`;
    const res = await client.publishJSON({
      url,
      body: { entryId: "e1", text: "dear diary" },
      headers: { "X-Request-Id": "req-42", "Upstash-Forward-X-Trace": "t-1" },
    });
    expect(res.messageId).toMatch(/^msg_/);
    expect(res.url).toBe(url);

    const got = await destination.nth(0);
    expect(got.method).toBe("POST");
    expect(got.path).toBe("/hooks/entry?tenant=a");
    expect(JSON.parse(got.body.toString())).toEqual({ entryId: "e1", text: "dear diary" });
    expect(header(got, "content-type")).toBe("application/json");
    expect(header(got, "x-request-id")).toBe("req-42");
    expect(header(got, "x-trace")).toBe("t-1");
    expect(header(got, "upstash-message-id")).toBe(res.messageId);
    expect(header(got, "upstash-retried")).toBe("0");
    expect(header(got, "authorization")).toBeUndefined();

    const signature = header(got, "upstash-signature") ?? "";
    const receiver = new Receiver({ currentSigningKey: CURRENT_KEY, nextSigningKey: NEXT_KEY });
    await expect(receiver.verify({ signature, body: got.body.toString(), url })).resolves.toBe(true);
    await expect(receiver.verify({ signature, body: `${got.body.toString()} `, url })).rejects.toThrow(
      /body hash/,
    );
    await expect(receiver.verify({ signature, body: got.body.toString(), url: `${url}x` })).rejects.toThrow(
      /subject/,
    );

    // Key rotation: a receiver holding the keys in the other order still accepts it (it tries both).
    const swapped = new Receiver({ currentSigningKey: NEXT_KEY, nextSigningKey: CURRENT_KEY });
    await expect(swapped.verify({ signature, body: got.body.toString(), url })).resolves.toBe(true);
    const wrong = new Receiver({ currentSigningKey: "sig_wrong_1", nextSigningKey: "sig_wrong_2" });
    await expect(wrong.verify({ signature, body: got.body.toString(), url })).rejects.toThrow();
  });

  it("honours Upstash-Method and raw bodies", async () => {
    const url = `${destination.url}/put`;
    await client.publish({
      url,
      body: "plain text",
      method: "PUT",
      headers: { "Content-Type": "text/plain" },
    });
    const got = await destination.nth(0);
    expect(got.method).toBe("PUT");
    expect(got.body.toString()).toBe("plain text");
    expect(header(got, "content-type")).toBe("text/plain");
  });

  it("deduplicates by id: one delivery, same messageId", async () => {
    const url = `${destination.url}/dedup`;
    const first = await client.publishJSON({ url, body: { n: 1 }, deduplicationId: "entry-7" });
    const second = await client.publishJSON({ url, body: { n: 2 }, deduplicationId: "entry-7" });
    expect(second.messageId).toBe(first.messageId);
    expect(first.deduplicated).toBeUndefined();
    expect(second.deduplicated).toBe(true);

    // A marker due a second later: had the duplicate been enqueued, it would have arrived well before it.
    const marker = await client.publishJSON({ url, body: { marker: true }, delay: 1 });
    const firstDelivery = await destination.nth(0);
    const markerDelivery = await destination.nth(1);
    expect(JSON.parse(firstDelivery.body.toString())).toEqual({ n: 1 });
    expect(header(markerDelivery, "upstash-message-id")).toBe(marker.messageId);
    expect(destination.requests).toHaveLength(2);
  });

  it("deduplicates by content", async () => {
    const url = `${destination.url}/content`;
    const a = await client.publishJSON({ url, body: { same: true }, contentBasedDeduplication: true });
    const b = await client.publishJSON({ url, body: { same: true }, contentBasedDeduplication: true });
    const c = await client.publishJSON({ url, body: { same: false }, contentBasedDeduplication: true });
    expect(b.messageId).toBe(a.messageId);
    expect(c.messageId).not.toBe(a.messageId);
  });

  it("accepts batchJSON", async () => {
    const res = await client.batchJSON([
      { url: `${destination.url}/b1`, body: { i: 1 } },
      { url: `${destination.url}/b2`, body: { i: 2 }, headers: { "X-Batch": "yes" } },
    ]);
    expect(res).toHaveLength(2);
    await destination.nth(1);
    const byPath = Object.fromEntries(destination.requests.map((r) => [r.path, r]));
    expect(JSON.parse(byPath["/b1"]!.body.toString())).toEqual({ i: 1 });
    expect(header(byPath["/b2"]!, "x-batch")).toBe("yes");
    expect(header(byPath["/b2"]!, "content-type")).toBe("application/json");
  });

  it("rejects a wrong token with 401 and serves the signing keys", async () => {
    const bad = new Client({ baseUrl: qstash.url, token: "wrong", retry: false });
    await expect(bad.publishJSON({ url: `${destination.url}/x`, body: {} })).rejects.toMatchObject({
      status: 401,
    });

    const noAuth = await fetch(`${qstash.url}/v2/keys`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toEqual({ error: expect.any(String) });

    const keys = await fetch(`${qstash.url}/v2/keys`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(keys.status).toBe(200);
    expect(await keys.json()).toEqual({ current: CURRENT_KEY, next: NEXT_KEY });
    expect(destination.requests).toHaveLength(0);
  });

  it("answers 404 for unknown messages and 400 for unsupported destinations", async () => {
    await expect(client.messages.get("msg_doesnotexist123")).rejects.toMatchObject({ status: 404 });
    await expect(client.messages.delete("msg_doesnotexist123")).rejects.toMatchObject({ status: 404 });
    await expect(client.publishJSON({ urlGroup: "some-group", body: {} })).rejects.toMatchObject({
      status: 400,
    });
  });
});
