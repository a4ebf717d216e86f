import { readFile } from "node:fs/promises";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { runTextModel } from "../src/offline/onnx-run.ts";
import { firstPrincipalComponent, STATIC_EMBED_ID } from "../src/offline/static-embedding.ts";
import { meanWeightedVector } from "../src/offline/static-embedding-graph.ts";
import { readStaticEmbeddingBuild } from "../src/offline/static-model-files.ts";
import type { TokenEncoder } from "../src/token-encoder.ts";
import { builtModel, cosine, modelsDir } from "./helpers.ts";

const { model, encoder: loadEncoder } = builtModel(STATIC_EMBED_ID);
let encoder: TokenEncoder;
const embed = (texts: string[]) => runTextModel(model, encoder, texts, "sentence_embedding");

beforeAll(async () => {
  encoder = await loadEncoder();
});

describe("the static sentence-embedding model", () => {
  it("takes transformer-style inputs and returns unit vectors of 100 dims", async () => {
    const session = await ort.InferenceSession.create(model);
    expect(session.inputNames).toEqual(["input_ids", "attention_mask"]);
    expect(session.outputNames).toEqual(["sentence_embedding", "token_embeddings"]);
    await session.release();
    const vectors = await embed([
      "I walked the dog.",
      "",
      "Ünïcode and émojis 🎉 are fine",
      "word ".repeat(3000),
    ]);
    expect(vectors).toHaveLength(4);
    for (const [i, v] of vectors.entries()) {
      expect(v).toHaveLength(100);
      // An empty text has no words: a zero vector rather than NaNs.
      if (i === 1) expect(Math.hypot(...v)).toBe(0);
      else expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
  });

  it("embeds a text the same alone and in a padded batch", async () => {
    const [alone] = await embed(["A short line."]);
    const [, batched] = await embed([
      "A much longer sentence that forces padding onto the short one.",
      "A short line.",
    ]);
    expect(cosine(alone as Float32Array, batched as Float32Array)).toBeCloseTo(1, 5);
  });

  it("puts similar sentences closer than unrelated ones", async () => {
    const triples: [string, string, string][] = [
      [
        "I feel sad and lonely tonight.",
        "I am unhappy and alone this evening.",
        "The invoice is due on Friday.",
      ],
      [
        "We went hiking in the mountains.",
        "We climbed a trail up the hills.",
        "I baked bread with my grandmother.",
      ],
      [
        "My boss yelled at me at work.",
        "My manager shouted at me in the office.",
        "The garden is full of roses.",
      ],
      ["I can't sleep because of anxiety.", "Worry keeps me awake at night.", "We watched a football match."],
      ["The movie was wonderful.", "The film was great.", "The printer is out of ink."],
      ["I had pasta for dinner.", "We ate spaghetti in the evening.", "The train was delayed by snow."],
    ];
    for (const [anchor, similar, unrelated] of triples) {
      const [a, s, u] = (await embed([anchor, similar, unrelated])) as [
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      expect(cosine(a, s), `${anchor} ~ ${similar}`).toBeGreaterThan(cosine(a, u));
    }
  });

  it("matches a plain TypeScript computation of SIF with the common component removed", async () => {
    const build = await readStaticEmbeddingBuild(`${modelsDir}/${STATIC_EMBED_ID}`, 4096);
    const text = "Journaling every morning helps me think clearly.";
    const mean = meanWeightedVector(build.params.table, 100, encoder.encodeIds(text));
    const u = build.params.commonComponent;
    const projection = cosine(mean, u);
    const expected = mean.map((v, d) => v - projection * (u[d] as number));
    const norm = Math.hypot(...expected);
    const [actual] = await embed([text]);
    for (let d = 0; d < 100; d++) expect(actual?.[d]).toBeCloseTo((expected[d] as number) / norm, 5);
    expect(Math.hypot(...u)).toBeCloseTo(1, 5);
  });

  it("has token embeddings whose masked mean is the sentence embedding, as mean-pooling tools expect", async () => {
    const session = await ort.InferenceSession.create(model);
    const batch = encoder.encodeBatch(["one two three four five six", "seven"]);
    const shape = [batch.batchSize, batch.sequenceLength];
    const out = await session.run({
      input_ids: new ort.Tensor("int64", batch.inputIds, shape),
      attention_mask: new ort.Tensor("int64", batch.attentionMask, shape),
    });
    const tokens = out.token_embeddings?.data as Float32Array;
    const sentences = out.sentence_embedding?.data as Float32Array;
    const seq = batch.sequenceLength;
    for (let b = 0; b < 2; b++) {
      const pooled = new Float32Array(100);
      const length = batch.lengths[b] as number;
      for (let t = 0; t < length; t++)
        for (let d = 0; d < 100; d++)
          pooled[d] = (pooled[d] as number) + (tokens[(b * seq + t) * 100 + d] as number) / length;
      const norm = Math.hypot(...pooled);
      for (let d = 0; d < 100; d++)
        expect(sentences[b * 100 + d]).toBeCloseTo((pooled[d] as number) / norm, 5);
    }
    await session.release();
  });

  it("ships a tokenizer.json that Hugging Face's tokenizers library reads, contractions spelled out", async () => {
    const json: unknown = JSON.parse(
      await readFile(`${modelsDir}/${STATIC_EMBED_ID}/tokenizer.json`, "utf8"),
    );
    const config: unknown = JSON.parse(
      await readFile(`${modelsDir}/${STATIC_EMBED_ID}/tokenizer_config.json`, "utf8"),
    );
    const tokenizer = new Tokenizer(json as object, config as object);
    expect(tokenizer.tokenize("I don’t like it, can't you see?")).toEqual([
      "i",
      "do",
      "not",
      "like",
      "it",
      ",",
      "can",
      "not",
      "you",
      "see",
      "?",
    ]);
    expect(tokenizer.encode("zzqxjv").ids).toEqual([1]);
    expect(tokenizer.token_to_id("[PAD]")).toBe(0);
  });

  it("finds the principal component deterministically", () => {
    const rows = [new Float32Array([3, 0.1]), new Float32Array([-2.9, -0.2]), new Float32Array([4, 0])];
    const u = firstPrincipalComponent(rows, 2);
    expect(u[0]).toBeCloseTo(0.9996, 3);
    expect(firstPrincipalComponent(rows, 2)).toEqual(u);
  });
});
