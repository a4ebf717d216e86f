import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  isHeldOut,
  JournalCorpusError,
  journalCorpusFingerprint,
  loadJournalCorpus,
} from "../src/offline/journal-corpus.ts";
import { feltEmotions } from "../src/offline/journal-heads.ts";
import { softmaxProbabilities, trainSoftmaxRegression } from "../src/offline/softmax-regression.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "inkwell-journal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, text: `passage ${id}`, sentiment: "neutral", emotions: ["neutral"], ...extra });

describe("the journal corpus loader", () => {
  it("reads every file, sorts by id, splits by id alone and fingerprints the bytes", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `a-${String(i).padStart(4, "0")}`);
    await writeFile(
      path.join(dir, "b.jsonl"),
      `${ids
        .slice(100)
        .map((id) => line(id))
        .join("\n")}\n`,
    );
    await writeFile(
      path.join(dir, "a.jsonl"),
      `${ids
        .slice(0, 100)
        .map((id) => line(id))
        .join("\n")}\n`,
    );
    const corpus = await loadJournalCorpus(dir);
    expect(corpus.passages.map((p) => p.id)).toEqual(ids);
    expect(corpus.heldOut.map((p) => p.id)).toEqual(ids.filter(isHeldOut));
    expect(corpus.heldOut.length).toBeGreaterThan(20);
    expect(corpus.heldOut.length).toBeLessThan(60);
    expect(corpus.fingerprint).toBe(await journalCorpusFingerprint(dir));

    await writeFile(path.join(dir, "c.jsonl"), `${line("c-0001")}\n`);
    const grown = await loadJournalCorpus(dir);
    // Adding passages never moves an existing one between the halves.
    expect(grown.heldOut.filter((p) => p.id !== "c-0001").map((p) => p.id)).toEqual(
      corpus.heldOut.map((p) => p.id),
    );
    expect(grown.fingerprint).not.toBe(corpus.fingerprint);
  });

  it("names every bad line, but tolerates a last line still being written", async () => {
    await writeFile(
      path.join(dir, "a.jsonl"),
      [
        line("a-0001"),
        line("a-0002", { sentiment: "mixed" }),
        line("a-0001"),
        line("a-0003", { emotions: ["neutral", "joy"] }),
        "{not json",
        line("a-0004"),
        '{"id": "a-0005", "text": "half writ',
      ].join("\n"),
    );
    const attempt = loadJournalCorpus(dir);
    await expect(attempt).rejects.toBeInstanceOf(JournalCorpusError);
    await expect(attempt).rejects.toThrow(/a\.jsonl:2: sentiment/);
    await expect(attempt).rejects.toThrow(/a\.jsonl:3: id a-0001 already used at a\.jsonl:1/);
    await expect(attempt).rejects.toThrow(/a\.jsonl:4: emotions neutral stands alone/);
    await expect(attempt).rejects.toThrow(/a\.jsonl:5: not valid JSON/);
    await expect(attempt).rejects.not.toThrow(/a\.jsonl:7/);
  });
});

describe("the softmax head", () => {
  it("learns separable classes, deterministically, and reads soft targets", () => {
    const rows = Array.from({ length: 60 }, (_, i) =>
      Float32Array.from([i % 3 === 0 ? 1 : 0, i % 3 === 1 ? 1 : 0, 0.1 * (i % 5)]),
    );
    const targets = rows.map((_, i) => [0, 1, 2].map((k) => (k === i % 3 ? 1 : 0)));
    const a = trainSoftmaxRegression(rows, targets, { lambda: 0.01 });
    const b = trainSoftmaxRegression(rows, targets, { lambda: 0.01 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    rows.forEach((row, i) => {
      const p = softmaxProbabilities(a, row);
      expect(p.indexOf(Math.max(...p))).toBe(i % 3);
      expect(p.reduce((sum, x) => sum + x, 0)).toBeCloseTo(1, 9);
    });
  });

  it("names a second emotion only when it is close to the first, and never beside neutral", () => {
    const scores = (joy: number, sadness: number, neutral = 0) => [
      { label: "joy", score: joy },
      { label: "sadness", score: sadness },
      { label: "neutral", score: neutral },
    ];
    expect(feltEmotions(scores(0.5, 0.4), 0.5)).toEqual(["joy", "sadness"]);
    expect(feltEmotions(scores(0.8, 0.1), 0.5)).toEqual(["joy"]);
    expect(feltEmotions(scores(0.5, 0.1, 0.4), 0.5)).toEqual(["joy"]);
  });
});
