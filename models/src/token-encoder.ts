import { readFile } from "node:fs/promises";
import { Tokenizer } from "@huggingface/tokenizers";

/** Token ids of a batch, padded to its longest member: the tensors a transformer-style ONNX graph takes. */
export interface EncodedBatch {
  batchSize: number;
  sequenceLength: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Real (unpadded) length of each row. */
  lengths: number[];
}

const tokenizerConfigShape = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/**
 * Text → ids through a Hugging Face `tokenizer.json`, the same for a real transformer export and for
 * Inkwell's built models. Truncation is done here because tokenizers.js leaves it to the caller.
 */
export class TokenEncoder {
  readonly maxLength: number;
  readonly padId: number;
  private readonly tokenizer: Tokenizer;
  /** How many special tokens the post-processor adds ([CLS] … [SEP] → 2); a truncated row keeps the last. */
  private readonly specialTokens: number;

  private constructor(tokenizer: Tokenizer, maxLength: number, padId: number) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.padId = padId;
    this.specialTokens = tokenizer.encode("").ids.length;
  }

  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown, maxLength: number): TokenEncoder {
    const config = tokenizerConfigShape(tokenizerConfig);
    const tokenizer = new Tokenizer(tokenizerJson as object, config);
    const padToken = typeof config.pad_token === "string" ? config.pad_token : undefined;
    const padId = (padToken === undefined ? undefined : tokenizer.token_to_id(padToken)) ?? 0;
    return new TokenEncoder(tokenizer, maxLength, padId);
  }

  static async fromFiles(tokenizerFile: string, configFile: string | undefined, maxLength: number) {
    const json: unknown = JSON.parse(await readFile(tokenizerFile, "utf8"));
    const config: unknown = configFile ? JSON.parse(await readFile(configFile, "utf8")) : {};
    return TokenEncoder.fromJson(json, config, maxLength);
  }

  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text);
  }

  /** Ids of one text, truncated to `maxLength`. */
  encodeIds(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.maxLength) return ids;
    if (this.specialTokens >= 2) {
      return [...ids.slice(0, this.maxLength - 1), ids[ids.length - 1] as number];
    }
    return ids.slice(0, this.maxLength);
  }

  encodeBatch(texts: readonly string[]): EncodedBatch {
    return this.padBatch(texts.map((text) => this.encodeIds(text)));
  }

  /** Pads already-encoded rows (the batcher encodes each request once, on arrival). */
  padBatch(rows: readonly number[][]): EncodedBatch {
    const batchSize = rows.length;
    // At least one column: an empty text still has to produce a row the graph can pool.
    const sequenceLength = Math.max(1, ...rows.map((ids) => ids.length));
    const inputIds = new BigInt64Array(batchSize * sequenceLength).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(batchSize * sequenceLength);
    const tokenTypeIds = new BigInt64Array(batchSize * sequenceLength);
    rows.forEach((ids, row) => {
      const offset = row * sequenceLength;
      for (let i = 0; i < ids.length; i++) {
        inputIds[offset + i] = BigInt(ids[i] as number);
        attentionMask[offset + i] = 1n;
      }
    });
    return {
      batchSize,
      sequenceLength,
      inputIds,
      attentionMask,
      tokenTypeIds,
      lengths: rows.map((ids) => ids.length),
    };
  }
}
