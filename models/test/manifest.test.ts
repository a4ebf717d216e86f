import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifest, ManifestError } from "../src/manifest.ts";

describe("models/manifest.json", () => {
  const manifest = loadManifest();

  it("validates, and covers every task the node serves on every tier", () => {
    for (const task of ["embedding", "sentiment", "emotion"] as const) {
      for (const tier of ["cpu-small", "cpu", "gpu"] as const) {
        const offline = manifest.models.filter(
          (m) => m.task === task && m.source === "offline-build" && m.tiers.includes(tier),
        );
        expect(offline.length, `${task} on ${tier}`).toBeGreaterThan(0);
      }
    }
  });

  it("lists real downloads for online tiers, over https, with licence and attribution", () => {
    const remote = manifest.models.filter((m) => m.source === "remote");
    expect(remote.map((m) => m.id)).toEqual(
      expect.arrayContaining([
        "all-minilm-l6-v2",
        "bge-small-en-v1.5",
        "distilbert-sst2",
        "emotion-english-distilroberta-base",
      ]),
    );
    for (const model of manifest.models) {
      expect(model.licence.length).toBeGreaterThan(0);
      expect(model.attribution.length).toBeGreaterThan(0);
    }
    const sentiment = manifest.models.find((m) => m.id === "inkwell-sentiment-uci");
    expect(sentiment?.licence).toContain("CC BY 4.0");
  });

  it("names every problem of a bad manifest", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "inkwell-manifest-"));
    try {
      const file = path.join(dir, "manifest.json");
      await writeFile(
        file,
        JSON.stringify({ schemaVersion: 1, models: [{ id: "Bad Id", task: "embedding" }] }),
      );
      expect(() => loadManifest(file)).toThrow(ManifestError);
      expect(() => loadManifest(file)).toThrow(/models\.0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
