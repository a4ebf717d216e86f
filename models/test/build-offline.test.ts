import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { readModelRecord } from "../src/files.ts";
import { loadManifest } from "../src/manifest.ts";
import { buildOffline } from "../src/offline/build.ts";
import { buildOrder, type OfflineBuilder, offlineBuilders } from "../src/offline/registry.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "inkwell-build-"));
  return () => rm(dir, { recursive: true, force: true });
});

function fakeBuilder(
  id: string,
  state: { hash: string; builds: number },
  dependsOn?: string[],
): OfflineBuilder {
  return {
    id,
    ...(dependsOn ? { dependsOn } : {}),
    inputsHash: async () => state.hash,
    async build(ctx) {
      state.builds++;
      ctx.progress.update(0, 1, "writing");
      await writeFile(path.join(ctx.outDir, "model.onnx"), `built from ${state.hash}`);
      return { metrics: { answer: 42 } };
    },
  };
}

describe("build-offline", () => {
  it("builds, records, then skips what is up to date and rebuilds what changed", async () => {
    const a = { hash: "a1", builds: 0 };
    const b = { hash: "b1", builds: 0 };
    const builders = [fakeBuilder("b", b, ["a"]), fakeBuilder("a", a)];
    const options = { modelsDir: dir, builders, log: () => {}, progressBars: false };

    const first = await buildOffline(options);
    expect(first.map((o) => [o.id, o.status])).toEqual([
      ["a", "built"],
      ["b", "built"],
    ]);
    const record = await readModelRecord(path.join(dir, "a", "model-record.json"));
    expect(record).toMatchObject({
      id: "a",
      origin: "offline-build",
      inputsHash: "a1",
      metrics: { answer: 42 },
    });

    const second = await buildOffline(options);
    expect(second.map((o) => o.status)).toEqual(["up-to-date", "up-to-date"]);

    b.hash = "b2";
    await buildOffline(options);
    expect([a.builds, b.builds]).toEqual([1, 2]);
    expect(await readFile(path.join(dir, "b", "model.onnx"), "utf8")).toBe("built from b2");

    // A damaged file (wrong size) is rebuilt even though the inputs did not change.
    await writeFile(path.join(dir, "a", "model.onnx"), "x");
    await buildOffline(options);
    expect(a.builds).toBe(2);
  });

  it("keeps the previous build when a builder fails", async () => {
    const state = { hash: "1", builds: 0 };
    await buildOffline({
      modelsDir: dir,
      builders: [fakeBuilder("a", state)],
      log: () => {},
      progressBars: false,
    });
    const failing: OfflineBuilder = {
      id: "a",
      inputsHash: async () => "2",
      build: async () => Promise.reject(new Error("boom")),
    };
    await expect(
      buildOffline({ modelsDir: dir, builders: [failing], log: () => {}, progressBars: false }),
    ).rejects.toThrow("Building a failed: boom");
    expect(await readFile(path.join(dir, "a", "model.onnx"), "utf8")).toBe("built from 1");
  });

  it("orders builders by dependency and refuses cycles and unknown ones", () => {
    const s = { hash: "", builds: 0 };
    expect(
      buildOrder([fakeBuilder("c", s, ["b"]), fakeBuilder("b", s, ["a"]), fakeBuilder("a", s)]).map(
        (b) => b.id,
      ),
    ).toEqual(["a", "b", "c"]);
    expect(() => buildOrder([fakeBuilder("a", s, ["b"]), fakeBuilder("b", s, ["a"])])).toThrow(
      /depend on each other/,
    );
    expect(() => buildOrder([fakeBuilder("a", s, ["x"])])).toThrow(/unknown builder x/);
  });

  it("registers a builder for every offline model in the manifest, and nothing else", () => {
    const manifest = loadManifest();
    const offline = manifest.models
      .filter((m) => m.source === "offline-build")
      .map((m) => ("builder" in m ? m.builder : ""));
    const registered = offlineBuilders.map((b) => b.id);
    expect([...registered].sort()).toEqual([...offline].sort());
  });
});
