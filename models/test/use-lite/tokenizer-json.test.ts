import { Tokenizer } from "@huggingface/tokenizers";
import { beforeAll, describe, expect, it } from "vitest";
import { JOURNAL_SENTENCES, parityCorpus, TOKENIZER_EDGE_CASES } from "../../src/use-lite/eval-data.ts";
import { loadUseLiteReferenceTokenizer } from "../../src/use-lite/reference.ts";
import { readUseLiteVocab } from "../../src/use-lite/source.ts";
import { buildUseLiteTokenizerConfig, buildUseLiteTokenizerJson } from "../../src/use-lite/tokenizer-json.ts";

/** Deterministic pseudo-random strings built from vocabulary pieces, spaces and awkward characters. */
function randomStrings(pieces: readonly string[], count: number): string[] {
  let seed = 20240611;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const awkward = [
    "☃",
    "😀",
    "é",
    "ß",
    "中",
    "\t",
    "\n",
    "ﬁ",
    "Ａ",
    "①",
    "½",
    "…",
    "—",
    "’",
    "“",
    "\u00a0",
    "\u200b",
    "\u0301",
    ":",
    ":)",
    ":(",
    "0",
    "9",
    "<s>",
    "�",
    "  ",
  ];
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const parts = 1 + Math.floor(next() * 12);
    let s = "";
    for (let j = 0; j < parts; j++) {
      const r = next();
      if (r < 0.7) s += pieces[Math.floor(next() * pieces.length)] ?? "";
      else if (r < 0.85) s += " ";
      else s += awkward[Math.floor(next() * awkward.length)] ?? "";
    }
    out.push(s);
  }
  return out;
}

describe("USE-lite tokenizer.json", () => {
  let reference: (text: string) => number[];
  let hf: Tokenizer;
  let pieces: string[];

  beforeAll(async () => {
    reference = await loadUseLiteReferenceTokenizer();
    const vocab = await readUseLiteVocab();
    hf = new Tokenizer(buildUseLiteTokenizerJson(vocab), buildUseLiteTokenizerConfig(128));
    // Vocabulary pieces as text ("▁" back to a space), so random strings exercise real segmentations.
    pieces = vocab.slice(6).map(([piece]) => piece.replaceAll("▁", " "));
  });

  const expectSameIds = (texts: readonly string[]) => {
    const mismatches = texts
      .map((text) => ({ text, expected: reference(text), actual: hf.encode(text).ids }))
      .filter(({ expected, actual }) => expected.join(",") !== actual.join(","));
    expect(mismatches.slice(0, 5)).toEqual([]);
  };

  it("matches the package tokenizer on edge cases (empty, unicode, unknown chars, leading ':')", () => {
    expectSameIds(TOKENIZER_EDGE_CASES);
    expect(hf.encode("").ids).toEqual([]);
  });

  it("matches on the journal sentences and the parity corpus", () => {
    expectSameIds([...JOURNAL_SENTENCES, ...parityCorpus()]);
  });

  it("matches on 5,000 random strings of vocabulary pieces and awkward characters", () => {
    expectSameIds(randomStrings(pieces, 5000));
  });

  it("covers the package's quirks that the JSON works around", () => {
    // Text-initial ":" (score-0 pieces), unknown characters fused to one id 0, a newline left as unknown.
    expect(hf.encode(":) great").ids).toEqual(reference(":) great"));
    expect(hf.encode(":) great").tokens[0]).toBe("▁");
    expect(hf.encode("ok :) great").tokens).toContain("▁:)");
    expect(hf.encode("hi ☃☃☃ there").ids.filter((id) => id === 0)).toHaveLength(1);
    expect(hf.encode("a\nb").ids).toEqual(reference("a\nb"));
    // Reserved rows are never produced from text.
    expect(hf.encode("<s> </s> extra_token_id_1").ids.some((id) => id > 0 && id < 6)).toBe(false);
  });
});
