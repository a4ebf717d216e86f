import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { entryEmbeddingText } from "@inkwell/shared";
import { z } from "zod";

export const evalSetDir = path.dirname(fileURLToPath(import.meta.url));

const entrySchema = z.strictObject({
  id: z.string().regex(/^[a-z]+-\d{2}$/),
  date: z.iso.date(),
  title: z.string().min(1).optional(),
  /** Other themes the entry also touches; purity and labels use the main theme only. */
  also: z.array(z.string()).optional(),
  text: z.string().min(1),
});

export const themeFileSchema = z.strictObject({
  theme: z.string().regex(/^[a-z]+(-[a-z]+)*$/),
  description: z.string().min(1),
  entries: z.array(entrySchema).min(1),
});

const querySchema = z.strictObject({
  id: z.string().min(1),
  text: z.string().min(1),
  /** Entry id → graded relevance: 2 = what the query is about, 1 = partly relevant. */
  relevant: z.record(z.string(), z.number().int().min(1).max(2)),
});

const queriesFileSchema = z.strictObject({ queries: z.array(querySchema).min(1) });

export interface EvalEntry {
  id: string;
  theme: string;
  also: string[];
  /** Midday UTC of the entry's date, so a timezone never moves it to another day. */
  occurredAt: string;
  title?: string;
  content: string;
}

export type EvalQuery = z.infer<typeof querySchema>;

export interface EvalSet {
  themes: { theme: string; description: string }[];
  entries: EvalEntry[];
  queries: EvalQuery[];
}

/**
 * The hand-written journal: one file per theme under `entries/` and the judged queries in `queries.json`.
 * Checked on load, so a typo in a relevance id fails the run rather than silently lowering every score.
 */
export async function loadEvalSet(dir: string = evalSetDir): Promise<EvalSet> {
  const entriesDir = path.join(dir, "entries");
  const files = (await readdir(entriesDir)).filter((name) => name.endsWith(".json")).sort();
  const themes: EvalSet["themes"] = [];
  const entries: EvalEntry[] = [];
  for (const file of files) {
    const parsed = themeFileSchema.safeParse(JSON.parse(await readFile(path.join(entriesDir, file), "utf8")));
    if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
    themes.push({ theme: parsed.data.theme, description: parsed.data.description });
    for (const entry of parsed.data.entries) {
      entries.push({
        id: entry.id,
        theme: parsed.data.theme,
        also: entry.also ?? [],
        occurredAt: `${entry.date}T12:00:00.000Z`,
        ...(entry.title ? { title: entry.title } : {}),
        content: entry.text,
      });
    }
  }
  const parsedQueries = queriesFileSchema.safeParse(
    JSON.parse(await readFile(path.join(dir, "queries.json"), "utf8")),
  );
  if (!parsedQueries.success) throw new Error(`queries.json: ${z.prettifyError(parsedQueries.error)}`);
  const queries = parsedQueries.data.queries;

  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.id)) throw new Error(`entry id ${entry.id} appears twice`);
    ids.add(entry.id);
  }
  const themeNames = new Set(themes.map((t) => t.theme));
  for (const entry of entries) {
    for (const theme of entry.also) {
      if (!themeNames.has(theme)) throw new Error(`entry ${entry.id} names an unknown theme ${theme}`);
    }
  }
  const queryIds = new Set<string>();
  for (const query of queries) {
    if (queryIds.has(query.id)) throw new Error(`query id ${query.id} appears twice`);
    queryIds.add(query.id);
    for (const id of Object.keys(query.relevant)) {
      if (!ids.has(id)) throw new Error(`query ${query.id} judges an unknown entry ${id}`);
    }
  }
  return { themes, entries, queries };
}

/** What the node embeds for an entry: the title, a blank line, then the content (`entryEmbeddingText`). */
export function embeddingText(entry: Pick<EvalEntry, "title" | "content">): string {
  return entryEmbeddingText(entry);
}
