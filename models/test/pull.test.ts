import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readModelRecord } from "../src/files.ts";
import { type Manifest, manifestSchema } from "../src/manifest.ts";
import { PullError, pullModel } from "../src/pull.ts";
import { checkModelFiles } from "../src/verify.ts";

/** A file server that honours Range like huggingface.co's CDN, and records what it was asked. */
const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251));
const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
let server: Server;
let base: string;
const requests: { url: string; range: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", range: req.headers.range });
    const body = req.url === "/tampered.onnx" ? Buffer.from(payload).fill(1, 1000, 1010) : payload;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (range) {
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416).end();
        return;
      }
      res.writeHead(206, {
        "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
        "content-length": body.length - start,
      });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "inkwell-pull-"));
  requests.length = 0;
  return () => rm(dir, { recursive: true, force: true });
});

// The manifest only allows https URLs; the test server is plain http, so the schema is applied to an https
// stand-in and the URL swapped afterwards, keeping the rest of the validation.
function manifest(file: string, sha256: string | null): Manifest {
  const parsed = manifestSchema.parse({
    schemaVersion: 1,
    models: [
      {
        id: "tiny",
        displayName: "tiny",
        task: "llm",
        format: "gguf",
        source: "remote",
        files: [{ path: "model.gguf", url: "https://example.test/x", sha256, sizeBytes: null }],
        tiers: ["cpu"],
        priority: 0,
        contextLength: 8,
        licence: "MIT",
        attribution: "test",
      },
    ],
  });
  const model = parsed.models[0];
  if (model?.format === "gguf" && model.files[0]) model.files[0].url = `${base}/${file}`;
  return parsed;
}

const quiet = { log: () => {}, progressBars: false };

describe("pull", () => {
  it("downloads, verifies the pinned SHA-256 and records it", async () => {
    const record = await pullModel(manifest("model.gguf", sha(payload)), "tiny", {
      ...quiet,
      modelsDir: dir,
    });
    expect(await readFile(path.join(dir, "tiny", "model.gguf"))).toEqual(payload);
    expect(record?.files["model.gguf"]).toEqual({ sha256: sha(payload), bytes: payload.length });
    expect((await checkModelFiles(manifest("model.gguf", sha(payload)).models[0]!, dir, true)).state).toBe(
      "ok",
    );
  });

  it("resumes a partial download with a Range request", async () => {
    await import("node:fs/promises").then((fs) => fs.mkdir(path.join(dir, "tiny"), { recursive: true }));
    await writeFile(path.join(dir, "tiny", "model.gguf.part"), payload.subarray(0, 123_456));
    await pullModel(manifest("model.gguf", sha(payload)), "tiny", { ...quiet, modelsDir: dir });
    expect(requests).toEqual([{ url: "/model.gguf", range: "bytes=123456-" }]);
    expect(await readFile(path.join(dir, "tiny", "model.gguf"))).toEqual(payload);
    await expect(stat(path.join(dir, "tiny", "model.gguf.part"))).rejects.toThrow();
  });

  it("refuses a file whose SHA-256 differs from the pin, and leaves nothing behind", async () => {
    const pull = pullModel(manifest("tampered.onnx", sha(payload)), "tiny", { ...quiet, modelsDir: dir });
    await expect(pull).rejects.toThrow(PullError);
    await expect(pull).rejects.toThrow(/SHA-256 is [0-9a-f]{64} but the manifest pins/);
    await expect(stat(path.join(dir, "tiny", "model.gguf"))).rejects.toThrow();
    await expect(stat(path.join(dir, "tiny", "model.gguf.part"))).rejects.toThrow();
  });

  it("trusts an unpinned file on first use, then holds later pulls to that hash", async () => {
    const messages: string[] = [];
    await pullModel(manifest("model.gguf", null), "tiny", {
      ...quiet,
      log: (m) => messages.push(m),
      modelsDir: dir,
    });
    expect(messages.join("\n")).toContain("no checksum is pinned");
    const record = await readModelRecord(path.join(dir, "tiny", "model-record.json"));
    expect(record?.trustedOnFirstUse).toEqual(["model.gguf"]);
    // The upstream file changes: the recorded hash now refuses it.
    await rm(path.join(dir, "tiny", "model.gguf"));
    await expect(
      pullModel(manifest("tampered.onnx", null), "tiny", { ...quiet, modelsDir: dir }),
    ).rejects.toThrow(/SHA-256/);
  });
});
