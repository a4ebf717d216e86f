import { Client, Receiver } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEV_MODE_CREDENTIALS } from "../../src/qstash/dev-credentials.ts";
import type { QStashServer } from "../../src/qstash/server.ts";
import { header, type Recorder, startRecorder, startStandIn, tempDataDir } from "./harness.ts";

// The official client's dev mode: credentials are fixed and the base URL comes from QSTASH_DEV_PORT.
describe("client dev mode against the stand-in", () => {
  let qstash: QStashServer;
  let destination: Recorder;
  let data: { dir: string; remove(): Promise<void> };

  beforeAll(async () => {
    data = await tempDataDir();
    qstash = await startStandIn({ dataDir: data.dir, ...DEV_MODE_CREDENTIALS });
    destination = await startRecorder();
    vi.stubEnv("QSTASH_DEV_PORT", String(qstash.port));
    // The client prints a banner when it finds a running dev server.
    vi.spyOn(console, "log").mockImplementation(() => undefined);
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await qstash.close();
    await destination.close();
    await data.remove();
  });

  it("publishes with devMode and verifies with a devMode Receiver", async () => {
    const client = new Client({ devMode: true, retry: false });
    const url = `${destination.url}/dev`;
    const { messageId } = await client.publishJSON({ url, body: { dev: true } });
    const got = await destination.nth(0);
    expect(header(got, "upstash-message-id")).toBe(messageId);
    const receiver = new Receiver({ devMode: true });
    await expect(
      receiver.verify({ signature: header(got, "upstash-signature") ?? "", body: got.body.toString(), url }),
    ).resolves.toBe(true);
  });
});
