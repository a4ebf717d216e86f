import { readdir } from "node:fs/promises";
import path from "node:path";
import { Client, Receiver } from "@upstash/qstash";
import { afterEach, describe, expect, it } from "vitest";
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

describe("persistence across restarts", () => {
  const cleanup: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("delivers a delayed message published before a restart", async () => {
    const data = await tempDataDir();
    cleanup.push(data.remove);
    const destination: Recorder = await startRecorder();
    cleanup.push(destination.close);

    const first: QStashServer = await startStandIn({ dataDir: data.dir });
    const url = `${destination.url}/after-restart`;
    const client = new Client({ baseUrl: first.url, token: TOKEN, retry: false });
    const { messageId } = await client.publishJSON({ url, body: { survives: true }, delay: 1 });
    expect(await readdir(path.join(data.dir, "messages"))).toContain(`${messageId}.json`);
    await first.close();
    expect(destination.requests).toHaveLength(0);

    const second = await startStandIn({ dataDir: data.dir });
    cleanup.push(second.close);
    const got = await destination.nth(0);
    expect(header(got, "upstash-message-id")).toBe(messageId);
    expect(JSON.parse(got.body.toString())).toEqual({ survives: true });
    const receiver = new Receiver({ currentSigningKey: CURRENT_KEY, nextSigningKey: NEXT_KEY });
    await expect(
      receiver.verify({ signature: header(got, "upstash-signature") ?? "", body: got.body.toString(), url }),
    ).resolves.toBe(true);

    const client2 = new Client({ baseUrl: second.url, token: TOKEN, retry: false });
    const message = await client2.messages.get(messageId);
    expect(message.url).toBe(url);
  });

  it("resumes a message that was waiting for a retry", async () => {
    const data = await tempDataDir();
    cleanup.push(data.remove);
    const destination = await startRecorder((i) => ({ status: i === 0 ? 500 : 200 }));
    cleanup.push(destination.close);

    // A long backoff keeps the retry pending when the first server stops.
    const first = await startStandIn({ dataDir: data.dir, retryBaseDelayMs: 60_000 });
    const client = new Client({ baseUrl: first.url, token: TOKEN, retry: false });
    const { messageId } = await client.publishJSON({ url: `${destination.url}/r`, body: {}, retries: 2 });
    await destination.nth(0);
    await first.close();

    const second = await startStandIn({ dataDir: data.dir, retryBaseDelayMs: 10 });
    cleanup.push(second.close);
    const client2 = new Client({ baseUrl: second.url, token: TOKEN, retry: false });
    const state = (await client2.messages.get(messageId)) as unknown as { state: string; retried: number };
    expect(state).toMatchObject({ state: "RETRY", retried: 1 });
    // The persisted due time (a minute out) is kept: cancel proves the message is still pending after reload.
    await expect(client2.messages.cancel(messageId)).resolves.toEqual({ cancelled: 1 });
    expect(destination.requests).toHaveLength(1);
  });
});
