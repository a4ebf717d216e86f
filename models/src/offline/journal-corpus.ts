import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { sha256Bytes } from "../files.ts";
import { modelsPackageDir } from "../paths.ts";

/**
 * The journal corpus: first-person passages written and labelled by hand for Inkwell
 * (`models/data/journal/*.jsonl`, labelling guide in `LABELLING.md` beside them). It trains and judges
 * the sentiment and emotion heads; product-review sentences do not read like journals.
 */
export const JOURNAL_SENTIMENTS = ["negative", "neutral", "positive"] as const;
export const JOURNAL_EMOTIONS = [
  "anger",
  "disgust",
  "fear",
  "joy",
  "neutral",
  "sadness",
  "surprise",
] as const;
export type JournalSentiment = (typeof JOURNAL_SENTIMENTS)[number];
export type JournalEmotion = (typeof JOURNAL_EMOTIONS)[number];

export const journalPassageSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "ids are lowercase, e.g. a-0001"),
    text: z.string().trim().min(1),
    sentiment: z.enum(JOURNAL_SENTIMENTS),
    /** One or two labels, the strongest first. */
    emotions: z
      .array(z.enum(JOURNAL_EMOTIONS))
      .min(1)
      .max(2)
      .refine((labels) => new Set(labels).size === labels.length, "an emotion is listed twice")
      .refine((labels) => labels.length === 1 || !labels.includes("neutral"), "neutral stands alone"),
  })
  .strict();
export type JournalPassage = z.infer<typeof journalPassageSchema>;

export const journalDataDir = path.join(modelsPackageDir, "data", "journal");

/** Share of passages held out; which ones depends only on each id, so adding passages never moves others. */
export const JOURNAL_HELD_OUT_FRACTION = 0.2;
const SPLIT_SALT = "inkwell-journal-split-v1";

export function isHeldOut(id: string): boolean {
  const digest = createHash("sha256").update(`${SPLIT_SALT}:${id}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < JOURNAL_HELD_OUT_FRACTION;
}

export interface JournalCorpus {
  /** Every passage, sorted by id (so file order and append order never change a build). */
  passages: JournalPassage[];
  train: JournalPassage[];
  heldOut: JournalPassage[];
  /** SHA-256 over every file's name and bytes: part of the heads' build key, so new data rebuilds them. */
  fingerprint: string;
  files: string[];
}

export class JournalCorpusError extends Error {
  override name = "JournalCorpusError";
}

async function corpusFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith(".jsonl")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The fingerprint alone, cheap enough for every `inputsHash()` call. */
export async function journalCorpusFingerprint(dir: string = journalDataDir): Promise<string> {
  const chunks: string[] = [];
  for (const name of await corpusFiles(dir)) {
    chunks.push(name, sha256Bytes(await readFile(path.join(dir, name))));
  }
  return sha256Bytes(chunks.join("\u0000"));
}

/**
 * Reads and validates every `*.jsonl` file. A malformed line or a repeated id stops the build with the
 * file and line, since a silently skipped label would change the model without anyone noticing. A
 * trailing line that is still being written (no newline yet, not valid JSON) is the one exception: the
 * writers append while builds run.
 */
export async function loadJournalCorpus(dir: string = journalDataDir): Promise<JournalCorpus> {
  const files = await corpusFiles(dir);
  const byId = new Map<string, { passage: JournalPassage; where: string }>();
  const problems: string[] = [];
  const chunks: string[] = [];
  for (const name of files) {
    const bytes = await readFile(path.join(dir, name));
    chunks.push(name, sha256Bytes(bytes));
    const raw = bytes.toString("utf8");
    const lines = raw.split("\n");
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      const where = `${name}:${index + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        if (index === lines.length - 1) return;
        problems.push(`${where}: not valid JSON`);
        return;
      }
      const parsed = journalPassageSchema.safeParse(json);
      if (!parsed.success) {
        problems.push(
          `${where}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(line)"} ${i.message}`).join("; ")}`,
        );
        return;
      }
      const earlier = byId.get(parsed.data.id);
      if (earlier) {
        problems.push(`${where}: id ${parsed.data.id} already used at ${earlier.where}`);
        return;
      }
      byId.set(parsed.data.id, { passage: parsed.data, where });
    });
  }
  if (problems.length > 0) {
    throw new JournalCorpusError(
      `The journal corpus in ${dir} has ${problems.length} bad line(s):\n  ${problems.slice(0, 20).join("\n  ")}`,
    );
  }
  const passages = [...byId.values()]
    .map((entry) => entry.passage)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    passages,
    train: passages.filter((p) => !isHeldOut(p.id)),
    heldOut: passages.filter((p) => isHeldOut(p.id)),
    fingerprint: sha256Bytes(chunks.join("\u0000")),
    files,
  };
}
