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

const receiver = new Receiver({ currentSigningKey: CURRENT_KEY, nextSigningKey: NEXT_KEY });

describe("retries and callbacks", () => {
  let qstash: QStashServer;
  let data: { dir: string; remove(): Promise<void> };
  let client: Client;
  const recorders: Recorder[] = [];

  async function recorder(reply?: Parameters<typeof startRecorder>[0]): Promise<Recorder> {
    const r = await startRecorder(reply);
    recorders.push(r);
    return r;
  }

  beforeEach(async () => {
    data = await tempDataDir();
    qstash = await startStandIn({ dataDir: data.dir, retryBaseDelayMs: 20 });
    client = new Client({ baseUrl: qstash.url, token: TOKEN, retry: false });
  });

  afterEach(async () => {
    await qstash.close();
    await Promise.all(recorders.splice(0).map((r) => r.close()));
    await data.remove();
  });

  it("retries failures with Upstash-Retried 0,1,2 and then calls the success callback", async () => {
    const destination = await recorder((i) =>
      i < 2 ? { status: 500, body: "boom" } : { status: 200, body: "done!", headers: { "X-Done": "yes" } },
    );
    const callbacks = await recorder();
    const url = `${destination.url}/work`;
    const callbackUrl = `${callbacks.url}/cb?kind=success`;
    const { messageId } = await client.publishJSON({
      url,
      body: { job: 1 },
      retries: 3,
      callback: callbackUrl,
      headers: { "Upstash-Callback-Forward-X-Cb": "cb-header" },
    });

    const attempts = await Promise.all([destination.nth(0), destination.nth(1), destination.nth(2)]);
    expect(attempts.map((a) => header(a, "upstash-retried"))).toEqual(["0", "1", "2"]);
    expect(attempts.map((a) => header(a, "upstash-message-id"))).toEqual([messageId, messageId, messageId]);
    // Backoff is exponential from the 20 ms base: at least 20 ms, then 40 ms between attempts.
    expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(19);
    expect(attempts[2]!.receivedAt - attempts[1]!.receivedAt).toBeGreaterThanOrEqual(39);
    for (const a of attempts) {
      await expect(
        receiver.verify({ signature: header(a, "upstash-signature") ?? "", body: a.body.toString(), url }),
      ).resolves.toBe(true);
    }

    const cb = await callbacks.nth(0);
    const cbBody = cb.body.toString();
    await expect(
      receiver.verify({ signature: header(cb, "upstash-signature") ?? "", body: cbBody, url: callbackUrl }),
    ).resolves.toBe(true);
    expect(header(cb, "content-type")).toBe("application/json");
    expect(header(cb, "x-cb")).toBe("cb-header");
    const payload = JSON.parse(cbBody) as Record<string, unknown>;
    expect(payload).toMatchObject({
      status: 200,
      body: Buffer.from("done!").toString("base64"),
      retried: 2,
      maxRetries: 3,
      sourceMessageId: messageId,
      url,
      method: "POST",
      sourceBody: Buffer.from(JSON.stringify({ job: 1 })).toString("base64"),
      sourceHeader: { "Content-Type": ["application/json"] },
    });
    expect(typeof payload.createdAt).toBe("number");
    expect(typeof payload.notBefore).toBe("number");
    expect(payload.header).toMatchObject({ "X-Done": ["yes"] });

    const message = await client.messages.get(messageId);
    expect(message).toMatchObject({ messageId, url, maxRetries: 3, body: JSON.stringify({ job: 1 }) });
    expect((message as unknown as { state: string }).state).toBe("DELIVERED");
  });

  it("calls the failure callback once retries are exhausted", async () => {
    const destination = await recorder(() => ({ status: 503, body: "unavailable" }));
    const failures = await recorder();
    const url = `${destination.url}/always-fails`;
    const failureCallback = `${failures.url}/failed`;
    const { messageId } = await client.publish({
      url,
      body: "payload-bytes",
      retries: 2,
      failureCallback,
      headers: { "Content-Type": "text/plain" },
    });

    const fcb = await failures.nth(0);
    expect(destination.requests.map((r) => header(r, "upstash-retried"))).toEqual(["0", "1", "2"]);
    const body = fcb.body.toString();
    await expect(
      receiver.verify({ signature: header(fcb, "upstash-signature") ?? "", body, url: failureCallback }),
    ).resolves.toBe(true);
    expect(JSON.parse(body)).toMatchObject({
      status: 503,
      body: Buffer.from("unavailable").toString("base64"),
      retried: 2,
      maxRetries: 2,
      sourceMessageId: messageId,
      url,
      sourceBody: Buffer.from("payload-bytes").toString("base64"),
    });
    const message = await client.messages.get(messageId);
    expect((message as unknown as { state: string }).state).toBe("FAILED");
  });

  it("treats an unreachable destination as a failure and reports status 0", async () => {
    const gone = await startRecorder();
    const url = `${gone.url}/nowhere`;
    await gone.close();
    const failures = await recorder();
    await client.publishJSON({ url, body: {}, retries: 1, failureCallback: `${failures.url}/f` });
    const payload = JSON.parse((await failures.nth(0)).body.toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ status: 0, body: "", retried: 1, maxRetries: 1, url });
  });

  it("retries the callback itself when the callback endpoint fails", async () => {
    const destination = await recorder(() => ({ status: 200, body: "fine" }));
    const callbacks = await recorder((i) => ({ status: i === 0 ? 502 : 200 }));
    await client.publishJSON({
      url: `${destination.url}/x`,
      body: {},
      retries: 1,
      callback: `${callbacks.url}/cb`,
    });
    const second = await callbacks.nth(1);
    expect(header(second, "upstash-retried")).toBe("1");
    expect(second.body.equals((await callbacks.nth(0)).body)).toBe(true);
  });

  it("stops retrying when the destination marks the error non-retryable", async () => {
    const destination = await recorder(() => ({
      status: 400,
      body: "bad input",
      headers: { "Upstash-NonRetryable-Error": "true" },
    }));
    const failures = await recorder();
    await client.publishJSON({
      url: `${destination.url}/x`,
      body: {},
      retries: 3,
      failureCallback: `${failures.url}/f`,
    });
    const payload = JSON.parse((await failures.nth(0)).body.toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ status: 400, retried: 0, maxRetries: 3 });
    expect(destination.requests).toHaveLength(1);
  });
});
