/**
 * The tokenizer of Inkwell's built models, written as a Hugging Face `tokenizer.json`, so the node
 * tokenises them with the same library and code path as any transformer export.
 *
 * The word list has no contractions (its corpus dropped apostrophes), so the normaliser spells them out:
 * "don't" and "dont" become "do not". That keeps the negation, which sentiment depends on, as a real word
 * with a real vector instead of an unknown token.
 */
export const PRE_TOKENIZER_PATTERN = String.raw`[\p{L}\p{N}]+|[^\s\p{L}\p{N}]`;

export const PAD_TOKEN = "[PAD]";
export const UNK_TOKEN = "[UNK]";
export const SPECIAL_TOKENS = [PAD_TOKEN, UNK_TOKEN] as const;

const preTokenizerRegex = new RegExp(`^(?:${PRE_TOKENIZER_PATTERN})$`, "u");

/** True when the pre-tokenizer can produce `word` as one piece; other vocabulary entries are dead weight. */
export function isReachableToken(word: string): boolean {
  return word === word.toLowerCase() && preTokenizerRegex.test(word);
}

/** Irregular negations first, then the regular "n't"; apostrophe-less spellings as people type them. */
const CONTRACTIONS: readonly (readonly [string, string])[] = [
  [String.raw`\bwon't\b`, "will not"],
  [String.raw`\bcan't\b`, "can not"],
  [String.raw`\bshan't\b`, "shall not"],
  [String.raw`\bain't\b`, "is not"],
  [String.raw`n't\b`, " not"],
  [String.raw`'m\b`, " am"],
  [String.raw`'re\b`, " are"],
  [String.raw`'ve\b`, " have"],
  [String.raw`'ll\b`, " will"],
  [String.raw`'d\b`, " would"],
  // Possessive or "is": either way the bare word carries the meaning.
  [String.raw`'s\b`, ""],
  [String.raw`\bcant\b`, "can not"],
  [String.raw`\bwont\b`, "will not"],
  [String.raw`\bim\b`, "i am"],
  [String.raw`\bive\b`, "i have"],
  ...["do", "does", "did", "is", "was", "are", "were", "could", "would", "should", "have", "has", "had"].map(
    (verb) => [String.raw`\b${verb}nt\b`, `${verb} not`] as const,
  ),
];

export function tokenizerJson(vocabulary: readonly string[]): object {
  const vocab: Record<string, number> = {};
  vocabulary.forEach((word, id) => {
    vocab[word] = id;
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFKC" },
        // Typographic apostrophes from phones and word processors.
        { type: "Replace", pattern: { String: "\u2019" }, content: "'" },
        { type: "Lowercase" },
        ...CONTRACTIONS.map(([pattern, content]) => ({
          type: "Replace",
          pattern: { Regex: pattern },
          content,
        })),
      ],
    },
    pre_tokenizer: {
      type: "Split",
      pattern: { Regex: PRE_TOKENIZER_PATTERN },
      behavior: "Removed",
      invert: true,
    },
    post_processor: null,
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: UNK_TOKEN },
  };
}

/** tokenizers.js reads the unknown and padding tokens of a WordLevel model from here. */
export function tokenizerConfigJson(maxLength: number): object {
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    unk_token: UNK_TOKEN,
    pad_token: PAD_TOKEN,
    model_max_length: maxLength,
    do_lower_case: true,
    clean_up_tokenization_spaces: false,
  };
}
