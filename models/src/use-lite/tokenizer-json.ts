import type { VocabEntry } from "./source.ts";

/**
 * The package's tokenizer skips its first six vocabulary rows (`�`, `<s>`, `</s>`, three extra ids) when
 * it builds its trie: they are never produced from text, and id 0 is only emitted for unknown characters.
 * A HF Unigram model matches every vocabulary string, so these rows get names that normalised text can
 * never contain: the normaliser turns every space into "▁", so a piece with a plain space is unreachable.
 */
export const USE_LITE_RESERVED_ROWS = 6;
export const USE_LITE_UNK_PIECE = " <unk>";

export interface UnigramTokenizerJson {
  readonly version: "1.0";
  readonly truncation: null;
  readonly padding: null;
  readonly added_tokens: readonly never[];
  readonly normalizer: unknown;
  readonly pre_tokenizer: unknown;
  readonly post_processor: null;
  readonly decoder: unknown;
  readonly model: {
    readonly type: "Unigram";
    readonly unk_id: number;
    readonly byte_fallback: false;
    readonly vocab: readonly (readonly [string, number])[];
  };
}

/**
 * Builds a HF `tokenizer.json` (Unigram) that reproduces `@energetic-ai/embeddings`' tokenizer id for id.
 *
 * What the package does, and how each part is mirrored:
 * - NFKC, then every " " (U+0020 only; tabs and newlines stay) becomes "▁", and "▁" is prepended unless
 *   the text is empty. No lowercasing. -> normalizer Sequence [NFKC, Replace(" ", "▁"), Prepend("▁")]; the
 *   tokenizer skips empty input before normalising, so the empty string stays empty.
 * - Viterbi over a trie of pieces, scores are the vocab's log-probabilities; null scores act as 0.
 *   -> the same scores, null written as 0.
 * - A character no piece starts with becomes id 0, and consecutive unknowns fuse into one id 0.
 *   -> HF Unigram inserts unk for characters with no single-character piece and fuses unks. Every
 *   character that occurs in any piece is also a single-character piece in this vocabulary, so the two
 *   rules pick out the same characters.
 * - Quirk: the package treats a best-path score of exactly 0 as "no path yet". Only text that starts
 *   with ":" reaches it (the pieces "▁:", "▁:)", "▁:(", "▁:-)" have score 0, so the path "▁:" scores 0
 *   and is overwritten by "▁" + ":"). -> a Split pre-tokenizer isolates a leading "▁" before ":", which
 *   gives the same segmentation. `\A` rather than `^`: tokenizers.js treats `^` as a line anchor.
 * - Duplicate pieces ("”5" three times): the package's trie keeps the last row, so earlier copies are
 *   unreachable; they are renamed like the reserved rows to keep the vocabulary unique.
 */
export function buildUseLiteTokenizerJson(vocab: readonly VocabEntry[]): UnigramTokenizerJson {
  const lastIndex = new Map<string, number>();
  vocab.forEach(([piece], i) => {
    if (i >= USE_LITE_RESERVED_ROWS) lastIndex.set(piece, i);
  });
  const rows = vocab.map(([piece, score], i): readonly [string, number] => {
    if (i === 0) return [USE_LITE_UNK_PIECE, 0];
    if (i < USE_LITE_RESERVED_ROWS) return [` <reserved ${i}> ${piece}`, 0];
    if (lastIndex.get(piece) !== i) return [` <unreachable ${i}> ${piece}`, score ?? 0];
    return [piece, score ?? 0];
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFKC" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
        { type: "Prepend", prepend: "▁" },
      ],
    },
    pre_tokenizer: { type: "Split", pattern: { Regex: "\\A▁(?=:)" }, behavior: "Isolated", invert: false },
    post_processor: null,
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    model: { type: "Unigram", unk_id: 0, byte_fallback: false, vocab: rows },
  };
}

/** `tokenizer_config.json` next to it; the model itself clips at `maxLength` tokens. */
export function buildUseLiteTokenizerConfig(maxLength: number) {
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    model_max_length: maxLength,
    unk_token: USE_LITE_UNK_PIECE,
    pad_token: USE_LITE_UNK_PIECE,
    padding_side: "right",
    clean_up_tokenization_spaces: false,
  };
}
