/// <reference types="node" />
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenEncoder } from "../../src/token-encoder.ts";
import { buildUseLiteOnnx, type UseLiteBuildResult } from "../../src/use-lite/build.ts";
import { parityCorpus, RETRIEVAL_DOCS, RETRIEVAL_QUERIES } from "../../src/use-lite/eval-data.ts";
import { cosine, loadOnnxEmbedder, type OnnxEmbedder } from "../../src/use-lite/onnx-embedder.ts";
import { loadUseLiteReference, type UseLiteReference } from "../../src/use-lite/reference.ts";

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

async function inBatches<T>(items: readonly string[], size: number, run: (batch: string[]) => Promise<T[]>) {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await run(items.slice(i, i + size))));
  return out;
}

function ranking(query: ArrayLike<number>, docs: readonly ArrayLike<number>[]): number[] {
  return docs
    .map((d, i) => ({ i, score: cosine(query, d) }))
    .sort((a, b) => b.score - a.score)
    .map((r) => r.i);
}

describe("USE-lite ONNX conversion", () => {
  let dir: string;
  let built: UseLiteBuildResult;
  let onnx: OnnxEmbedder;
  let reference: UseLiteReference;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "use-lite-"));
    built = await buildUseLiteOnnx(join(dir, "a"));
    [onnx, reference] = await Promise.all([loadOnnxEmbedder(join(dir, "a")), loadUseLiteReference()]);
  });

  afterAll(async () => {
    await onnx?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("has the dense transformer-style signature", async () => {
    const session = await ort.InferenceSession.create(built.modelPath);
    try {
      expect(session.inputNames).toEqual(["input_ids", "attention_mask"]);
      expect(session.outputNames).toEqual(["sentence_embedding"]);
    } finally {
      await session.release();
    }
    expect(built.dimensions).toBe(512);
    expect(built.maxSequenceLength).toBe(128);
  });

  it("writes the same bytes on every build", async () => {
    const again = await buildUseLiteOnnx(join(dir, "b"));
    expect(again.modelSha256).toBe(built.modelSha256);
    expect(await sha256(again.modelPath)).toBe(await sha256(built.modelPath));
    expect(await sha256(again.tokenizerPath)).toBe(await sha256(built.tokenizerPath));
  });

  it("matches the TF.js model on 200+ varied sentences (cosine >= 0.999 each)", async () => {
    const corpus = parityCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    // The corpus must reach past the model's 128-token clip and include unknown characters.
    expect(corpus.some((s) => onnx.tokenize(s).length > 128)).toBe(true);
    expect(corpus.some((s) => onnx.tokenize(s).includes(0))).toBe(true);

    const expected = await inBatches(corpus, 16, (b) => reference.embed(b));
    const actual = await inBatches(corpus, 16, (b) => onnx.embed(b));
    const cosines = corpus.map((_, i) => cosine(expected[i] ?? [], actual[i] ?? []));
    const worst = Math.min(...cosines);
    console.info(
      `use-lite parity: ${corpus.length} sentences, min cosine ${worst} (1 - min = ${(1 - worst).toExponential(2)})`,
    );
    expect(worst).toBeGreaterThanOrEqual(0.999);
  });

  it("embeds the empty string like the package does (all-padding row)", async () => {
    const [expected] = await reference.embed(["", "x"]);
    const [actual] = await onnx.embed([""]);
    expect(cosine(expected ?? [], actual ?? [])).toBeGreaterThanOrEqual(0.999);
  });

  it("ranks a small retrieval set the same way as the TF.js model", async () => {
    const queries = RETRIEVAL_QUERIES.map((q) => q.query);
    const [refDocs, refQueries, onnxDocs, onnxQueries] = await Promise.all([
      reference.embed(RETRIEVAL_DOCS),
      reference.embed(queries),
      onnx.embed(RETRIEVAL_DOCS),
      onnx.embed(queries),
    ]);
    queries.forEach((_, q) => {
      expect(ranking(onnxQueries[q] ?? [], onnxDocs)).toEqual(ranking(refQueries[q] ?? [], refDocs));
    });
    // And the model is good enough to find the intended document for most queries.
    const hits = RETRIEVAL_QUERIES.filter(
      (q, i) => ranking(onnxQueries[i] ?? [], onnxDocs)[0] === q.relevant,
    );
    expect(hits.length).toBeGreaterThanOrEqual(RETRIEVAL_QUERIES.length - 2);
  });

  it("gives the same embedding padded in a batch as alone (attention_mask 0 is ignored)", async () => {
    const texts = ["short", "a somewhat longer sentence about my day at work", "", "snowman ☃ unknown"];
    const ids = texts.map((t) => onnx.tokenize(t));
    const alone = await Promise.all(ids.map(async (row) => (await onnx.embedIds([row]))[0]));
    const batched = await onnx.embedIds(ids);
    // Padding past the 128-token clip as well: the extra columns must not matter either.
    const overPadded = await onnx.embedIds(ids, 200);
    let worst = 0;
    ids.forEach((_, i) => {
      for (const other of [batched[i], overPadded[i]]) {
        (alone[i] ?? []).forEach((v, k) => {
          worst = Math.max(worst, Math.abs(v - (other?.[k] ?? Number.NaN)));
        });
      }
    });
    console.info(`use-lite padding: max |difference| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
  });

  it("works through the project's TokenEncoder, as the inference node feeds it", async () => {
    const dirA = join(dir, "a");
    const encoder = await TokenEncoder.fromFiles(
      join(dirA, "tokenizer.json"),
      join(dirA, "tokenizer_config.json"),
      built.maxSequenceLength,
    );
    const texts = ["I feel calm today.", "", ":) good news", "word ".repeat(300)];
    const batch = encoder.encodeBatch(texts);
    const session = await ort.InferenceSession.create(built.modelPath);
    try {
      const shape = [batch.batchSize, batch.sequenceLength];
      const out = await session.run({
        input_ids: new ort.Tensor("int64", batch.inputIds, shape),
        attention_mask: new ort.Tensor("int64", batch.attentionMask, shape),
      });
      const data = out.sentence_embedding?.data as Float32Array;
      const expected = await reference.embed(texts.filter((t) => t.length > 0));
      const nonEmpty = texts.map((t, i) => ({ t, i })).filter(({ t }) => t.length > 0);
      nonEmpty.forEach(({ i }, k) => {
        expect(cosine(data.subarray(i * 512, (i + 1) * 512), expected[k] ?? [])).toBeGreaterThanOrEqual(
          0.999,
        );
      });
    } finally {
      await session.release();
    }
  });

  it("accepts a batch where every row is padding", async () => {
    const out = await onnx.embedIds([[], []], 4);
    expect(out).toHaveLength(2);
    expect(out.every((row) => row.length === 512 && row.every(Number.isFinite))).toBe(true);
  });
});
