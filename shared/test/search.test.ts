import { describe, expect, it } from "vitest";
import {
  entryChunks,
  fuseHybrid,
  MAX_CHUNKS_PER_ENTRY,
  meanScore,
  multiVectorScore,
  ndcgAtK,
  queryKind,
  RRF_DEFAULT_K,
  recallAtK,
  reciprocalRankFusion,
  sentenceChunks,
} from "../src/search.ts";

describe("reciprocalRankFusion", () => {
  it("scores each id by the sum of 1 / (k + rank) over the lists that hold it", () => {
    const fused = reciprocalRankFusion([
      ["a", "b", "c"],
      ["b", "d"],
    ]);
    const score = Object.fromEntries(fused.map((hit) => [hit.id, hit.score]));
    expect(RRF_DEFAULT_K).toBe(60);
    expect(score.a).toBeCloseTo(1 / 61);
    expect(score.b).toBeCloseTo(1 / 62 + 1 / 61);
    expect(score.c).toBeCloseTo(1 / 63);
    expect(score.d).toBeCloseTo(1 / 62);
    expect(fused.map((hit) => hit.id)).toEqual(["b", "a", "d", "c"]);
  });

  it("lets an id found by both lists beat one ranked first by only one", () => {
    const fused = reciprocalRankFusion([
      ["keyword-only", "both"],
      ["semantic-only", "both"],
    ]);
    expect(fused[0]?.id).toBe("both");
  });

  it("applies per-list weights", () => {
    const fused = reciprocalRankFusion([
      { ids: ["a", "b"], weight: 1 },
      { ids: ["b", "a"], weight: 3 },
    ]);
    expect(fused.map((hit) => hit.id)).toEqual(["b", "a"]);
    expect(fused[0]?.score).toBeCloseTo(1 / 62 + 3 / 61);
  });

  it("ignores a list with weight 0", () => {
    const fused = reciprocalRankFusion([{ ids: ["x"], weight: 0 }, ["y"]]);
    expect(fused.map((hit) => hit.id)).toEqual(["y", "x"]);
    expect(fused[1]?.score).toBe(0);
  });

  it("uses the given k: a small k lets the top ranks dominate", () => {
    const lists = [
      ["a", "b", "c", "d"],
      ["d", "c", "b", "a"],
      ["a", "x", "y", "z"],
    ];
    expect(reciprocalRankFusion(lists, { k: 1 })[0]).toEqual({ id: "a", score: 1 / 2 + 1 / 5 + 1 / 2 });
    expect(reciprocalRankFusion(lists, { k: 0 })[0]?.score).toBeCloseTo(1 + 1 / 4 + 1);
  });

  it("counts an id repeated within one list once, at its best rank", () => {
    const fused = reciprocalRankFusion([["a", "a", "b"]]);
    expect(fused).toEqual([
      { id: "a", score: 1 / 61 },
      { id: "b", score: 1 / 63 },
    ]);
  });

  it("breaks ties deterministically: best rank, then first appearance", () => {
    expect(reciprocalRankFusion([["a"], ["b"]]).map((hit) => hit.id)).toEqual(["a", "b"]);
    expect(reciprocalRankFusion([["b"], ["a"]]).map((hit) => hit.id)).toEqual(["b", "a"]);
  });

  it("honours limit and handles empty input", () => {
    expect(reciprocalRankFusion([["a", "b", "c"]], { limit: 2 }).map((hit) => hit.id)).toEqual(["a", "b"]);
    expect(reciprocalRankFusion([["a"]], { limit: 0 })).toEqual([]);
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
  });

  it("refuses a negative k or weight", () => {
    expect(() => reciprocalRankFusion([["a"]], { k: -1 })).toThrow(RangeError);
    expect(() => reciprocalRankFusion([{ ids: ["a"], weight: -2 }])).toThrow(RangeError);
    expect(() => reciprocalRankFusion([{ ids: ["a"], weight: Number.NaN }])).toThrow(RangeError);
  });
});

describe("recallAtK", () => {
  const judgements = { a: 2, b: 1, c: 1, z: 0 };

  it("is the share of relevant ids in the first k", () => {
    expect(recallAtK(["a", "x", "b", "c"], judgements, 1)).toBeCloseTo(1 / 3);
    expect(recallAtK(["a", "x", "b", "c"], judgements, 3)).toBeCloseTo(2 / 3);
    expect(recallAtK(["a", "x", "b", "c"], judgements, 10)).toBe(1);
  });

  it("does not count grade-0 judgements as relevant", () => {
    expect(recallAtK(["z"], judgements, 1)).toBe(0);
    expect(recallAtK(["a", "b", "c"], judgements, 3)).toBe(1);
  });

  it("accepts a Map, and a repeated id neither counts twice nor takes a slot", () => {
    const map = new Map([
      ["a", 1],
      ["b", 1],
    ]);
    expect(recallAtK(["a", "a", "b"], map, 2)).toBe(1);
    expect(recallAtK(["a", "a", "a"], map, 3)).toBe(0.5);
  });

  it("cannot reach 1 when more ids are relevant than k", () => {
    expect(recallAtK(["a", "b"], judgements, 2)).toBeCloseTo(2 / 3);
  });

  it("is 0 for a query without relevant ids and refuses a bad k", () => {
    expect(recallAtK(["a"], {}, 5)).toBe(0);
    expect(() => recallAtK(["a"], judgements, 0)).toThrow(RangeError);
    expect(() => recallAtK(["a"], judgements, 2.5)).toThrow(RangeError);
  });
});

describe("ndcgAtK", () => {
  it("is 1 for the ideal ordering and lower when the best hit is late", () => {
    const judgements = { a: 2, b: 1 };
    expect(ndcgAtK(["a", "b", "x"], judgements, 10)).toBeCloseTo(1);
    const swapped = ndcgAtK(["b", "a"], judgements, 10);
    const ideal = 2 + 1 / Math.log2(3);
    expect(swapped).toBeCloseTo((1 + 2 / Math.log2(3)) / ideal);
    expect(swapped).toBeLessThan(1);
  });

  it("matches a hand-computed value with a miss in between", () => {
    // ranks: x (miss), a (2), y (miss), c (1); ideal: 2, 1, 1.
    const value = ndcgAtK(["x", "a", "y", "c"], { a: 2, b: 1, c: 1 }, 4);
    const dcg = 2 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 2 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(value).toBeCloseTo(dcg / idcg);
  });

  it("normalises by the ideal first k only", () => {
    // Three relevant ids but k = 1: finding the best one first is perfect.
    expect(ndcgAtK(["a"], { a: 2, b: 2, c: 1 }, 1)).toBe(1);
    expect(ndcgAtK(["c"], { a: 2, b: 2, c: 1 }, 1)).toBe(0.5);
  });

  it("is 0 with no hits or no judgements", () => {
    expect(ndcgAtK(["x", "y"], { a: 1 }, 10)).toBe(0);
    expect(ndcgAtK([], { a: 1 }, 10)).toBe(0);
    expect(ndcgAtK(["a"], {}, 10)).toBe(0);
  });
});

describe("meanScore", () => {
  it("averages, and is 0 for nothing", () => {
    expect(meanScore([1, 0, 0.5])).toBeCloseTo(0.5);
    expect(meanScore([])).toBe(0);
  });
});

describe("hybrid fusion per query kind", () => {
  it("reads quoted or short queries as phrases and the rest as sentences", () => {
    expect(queryKind("scattering the ashes")).toBe("phrase");
    expect(queryKind('"the blue door"')).toBe("phrase");
    expect(queryKind("feeling burnt out by my job")).toBe("sentence");
  });

  it("lets keyword matches count less than semantic ranks for a sentence, fully for a phrase", () => {
    const keyword = ["k1", "k2", "k3"];
    const semantic = ["s1", "s2", "s3", "k3"];
    const sentence = fuseHybrid("when did I last feel rested", keyword, semantic).map((h) => h.id);
    // Found by both lists first; then every semantic hit before a keyword-only one.
    expect(sentence.slice(0, 5)).toEqual(["k3", "s1", "s2", "s3", "k1"]);
    const phrase = fuseHybrid("ashes", keyword, semantic).map((h) => h.id);
    expect(phrase.slice(0, 3)).toEqual(["k3", "k1", "s1"]);
    expect(fuseHybrid("ashes", keyword, semantic, 2)).toHaveLength(2);
  });
});

describe("multi-vector scoring", () => {
  it("splits an entry into sentences, and a one-sentence entry into none", () => {
    expect(sentenceChunks("Long week. Ran ten miles on Sunday!\nThe rest was meetings?")).toEqual([
      "Long week.",
      "Ran ten miles on Sunday!",
      "The rest was meetings?",
    ]);
    expect(sentenceChunks("Just one sentence here.")).toEqual([]);
  });

  it("cuts an entry's windows from the text its whole vector embeds, title first, at most 512", () => {
    expect(entryChunks({ title: "Sunday", content: "Ran ten miles." })).toEqual(["Sunday", "Ran ten miles."]);
    expect(entryChunks({ content: "Ran ten miles." })).toEqual([]);
    const pasted = Array.from({ length: 600 }, (_, i) => `Line ${i}`).join("\n");
    const windows = entryChunks({ content: pasted });
    expect(windows).toHaveLength(MAX_CHUNKS_PER_ENTRY);
    expect(windows.at(-1)).toBe(`Line ${MAX_CHUNKS_PER_ENTRY - 1}`);
  });

  it("scores an entry by the mean of its whole vector and its best sentence", () => {
    expect(multiVectorScore(0.4, [])).toBe(0.4);
    expect(multiVectorScore(0.4, [0.2, 0.8, 0.5])).toBeCloseTo(0.6);
  });
});
