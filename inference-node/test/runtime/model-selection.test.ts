import type { Capability, OnnxModelEntry } from "@inkwell/models/manifest";
import { loadManifest } from "@inkwell/models/manifest";
import { describe, expect, it } from "vitest";
import { measureCapability } from "../../src/runtime/capability.ts";
import { capabilityShortfall, selectModels } from "../../src/runtime/model-selection.ts";
import { FakeBackend } from "../helpers/fake-runtime.ts";

const manifest = loadManifest();
/** What `build-offline` makes on every machine: nothing pulled. */
const built = new Set(manifest.models.filter((m) => m.source === "offline-build").map((m) => m.id));
const check = async (model: { id: string }) =>
  built.has(model.id)
    ? ({ id: model.id, state: "ok", files: 3 } as const)
    : ({ id: model.id, state: "absent" } as const);

/** A fake start-up measurement: every model measured gives the same figures. */
function measuring(capability: Capability) {
  const measured: string[] = [];
  const measure = async (model: OnnxModelEntry) => {
    measured.push(model.id);
    return capability;
  };
  return { measure, measured };
}

const chosen = (selection: Awaited<ReturnType<typeof selectModels>>) =>
  Object.fromEntries(selection.decisions.map((d) => [d.task, d.chosen]));

describe("choosing models by measured capability", () => {
  it("gives a 2-core machine (tier cpu-small) USE-lite and the journal heads when it runs them fast enough", async () => {
    // ~9 texts/s is what USE-lite did on the 2-core development VM with seven times more work than cores.
    const { measure, measured } = measuring({ textsPerSecond: 9, freeMemoryMiB: 2048 });
    const selection = await selectModels(manifest, "cpu-small", ["/models"], {}, check, measure);
    expect(chosen(selection)).toEqual({
      embedding: "use-lite",
      sentiment: "inkwell-sentiment-use-lite",
      emotion: "inkwell-emotion-use-lite",
    });
    // The heads run USE-lite: one measurement, of the encoder, decides all three together.
    expect(measured).toEqual(["use-lite"]);
    const embedding = selection.decisions.find((d) => d.task === "embedding");
    expect(embedding?.candidates.find((c) => c.id === "use-lite")).toMatchObject({
      outcome: "chosen",
      measured: { textsPerSecond: 9, freeMemoryMiB: 2048 },
      why: expect.stringContaining("measured 9.0 texts/s"),
    });
  });

  it("keeps the static models for a machine that truly cannot run the encoder, saying why", async () => {
    const slow = measuring({ textsPerSecond: 2, freeMemoryMiB: 2048 });
    const tooSlow = await selectModels(manifest, "cpu-small", ["/models"], {}, check, slow.measure);
    expect(chosen(tooSlow)).toEqual({
      embedding: "inkwell-static-embed-100d",
      sentiment: "inkwell-sentiment-uci",
      emotion: "inkwell-emotion-prototypes",
    });
    expect(tooSlow.decisions[0]?.candidates.find((c) => c.id === "use-lite")?.why).toMatch(
      /cannot run it well: runs 2\.0 texts\/s here, needs \d+/,
    );

    const cramped = measuring({ textsPerSecond: 500, freeMemoryMiB: 40 });
    const noMemory = await selectModels(manifest, "cpu", ["/models"], {}, check, cramped.measure);
    expect(chosen(noMemory).embedding).toBe("inkwell-static-embed-100d");
    expect(noMemory.decisions[0]?.candidates.find((c) => c.id === "use-lite")?.why).toMatch(
      /40 MiB free after loading, needs \d+/,
    );
  });

  it("never takes a model that needs a measurement without one, and does not measure a pinned model", async () => {
    const unmeasured = await selectModels(manifest, "cpu", ["/models"], {}, check);
    expect(chosen(unmeasured).embedding).toBe("inkwell-static-embed-100d");

    const { measure, measured } = measuring({ textsPerSecond: 1, freeMemoryMiB: 0 });
    const pins = {
      embedding: "use-lite",
      sentiment: "inkwell-sentiment-use-lite",
      emotion: "inkwell-emotion-use-lite",
    };
    const pinned = await selectModels(manifest, "cpu-small", ["/models"], pins, check, measure);
    expect(chosen(pinned)).toEqual(pins);
    expect(measured).toEqual([]);
  });

  it("a pulled transformer still beats the heads where its tier allows", async () => {
    const withPulled = async (model: { id: string }) =>
      built.has(model.id) || model.id === "distilbert-sst2"
        ? ({ id: model.id, state: "ok", files: 3 } as const)
        : ({ id: model.id, state: "absent" } as const);
    const { measure } = measuring({ textsPerSecond: 300, freeMemoryMiB: 8000 });
    const cpu = await selectModels(manifest, "cpu", ["/models"], {}, withPulled, measure);
    expect(chosen(cpu).sentiment).toBe("distilbert-sst2");
    const small = await selectModels(manifest, "cpu-small", ["/models"], {}, withPulled, measure);
    expect(chosen(small).sentiment).toBe("inkwell-sentiment-use-lite");
  });
});

describe("the start-up measurement", () => {
  it("times the loaded model on a journal-length text and reads free memory", async () => {
    const backend = new FakeBackend("fake-embed", "embedding");
    const capability = await measureCapability(backend, { minRuns: 3, minMs: 0, freeMemoryMiB: () => 777 });
    expect(capability.freeMemoryMiB).toBe(777);
    expect(capability.textsPerSecond).toBeGreaterThan(0);
    // One untimed run, then the timed ones, each a single text.
    expect(backend.batches.length).toBe(4);
    expect(backend.batches.every((batch) => batch.length === 1)).toBe(true);
  });

  it("names every shortfall", () => {
    const required = { textsPerSecond: 10, freeMemoryMiB: 256 };
    expect(capabilityShortfall(required, { textsPerSecond: 10, freeMemoryMiB: 256 })).toBeUndefined();
    expect(capabilityShortfall(required, { textsPerSecond: 9, freeMemoryMiB: 100 })).toBe(
      "runs 9.0 texts/s here, needs 10; 100 MiB free after loading, needs 256",
    );
  });
});
