import { Client } from "@upstash/qstash";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QStashServer } from "../../src/qstash/server.ts";
import { header, type Recorder, startRecorder, startStandIn, TOKEN, tempDataDir } from "./harness.ts";

describe("delays, message lookup and cancellation", () => {
  let qstash: QStashServer;
  let destination: Recorder;
  let data: { dir: string; remove(): Promise<void> };
  let client: Client;

  beforeEach(async () => {
    data = await tempDataDir();
    qstash = await startStandIn({ dataDir: data.dir });
    destination = await startRecorder();
    client = new Client({ baseUrl: qstash.url, token: TOKEN, retry: false });
  });

  afterEach(async () => {
    await qstash.close();
    await destination.close();
    await data.remove();
  });

  it("does not deliver before the delay has passed", async () => {
    const publishedAt = Date.now();
    const { messageId } = await client.publishJSON({
      url: `${destination.url}/later`,
      body: { d: 1 },
      delay: 1,
    });
    const message = await client.messages.get(messageId);
    expect(message.notBefore).toBeGreaterThanOrEqual(publishedAt + 1_000);
    expect(message.createdAt).toBeGreaterThanOrEqual(publishedAt);
    expect((message as unknown as { state: string }).state).toBe("CREATED");

    const got = await destination.nth(0);
    expect(got.receivedAt).toBeGreaterThanOrEqual(message.notBefore!);
  });

  it("honours an absolute Upstash-Not-Before", async () => {
    const notBeforeSeconds = Math.ceil(Date.now() / 1_000) + 1;
    await client.publishJSON({ url: `${destination.url}/at`, body: {}, notBefore: notBeforeSeconds });
    const got = await destination.nth(0);
    expect(got.receivedAt).toBeGreaterThanOrEqual(notBeforeSeconds * 1_000);
  });

  it("cancels a delayed message so it is never delivered", async () => {
    const url = `${destination.url}/cancel-me`;
    const { messageId } = await client.publishJSON({ url, body: { cancel: true }, delay: 1 });
    await client.messages.delete(messageId);
    expect((await client.messages.get(messageId)) as unknown).toMatchObject({ messageId, state: "CANCELED" });

    // Due after the cancelled one: once it arrives, the cancelled message's time has long passed.
    const sentinel = await client.publishJSON({ url: `${destination.url}/sentinel`, body: {}, delay: 2 });
    const got = await destination.nth(0);
    expect(header(got, "upstash-message-id")).toBe(sentinel.messageId);
    expect(destination.requests.map((r) => r.path)).toEqual(["/sentinel"]);

    // Cancelling again (or something already finished) is a 404, as for an unknown message.
    await expect(client.messages.cancel(messageId)).rejects.toMatchObject({ status: 404 });
  });

  it("cancels in bulk through messages.cancel", async () => {
    const a = await client.publishJSON({ url: `${destination.url}/a`, body: {}, delay: 60 });
    const b = await client.publishJSON({ url: `${destination.url}/b`, body: {}, delay: 60 });
    await expect(client.messages.cancel([a.messageId, b.messageId])).resolves.toEqual({ cancelled: 2 });
    const c = await client.publishJSON({ url: `${destination.url}/c`, body: {}, delay: 60 });
    await expect(client.messages.cancel(c.messageId)).resolves.toEqual({ cancelled: 1 });
    await expect(client.messages.cancel({ all: true })).resolves.toEqual({ cancelled: 0 });
  });
});
