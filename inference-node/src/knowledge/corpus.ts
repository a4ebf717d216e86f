import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type KnowledgeFile,
  type KnowledgePassage,
  type KnowledgeTechniquesRequest,
  type KnowledgeTechniquesResponse,
  knowledgeCorpusSchema,
  rankTechniques,
} from "@inkwell/shared";

/** The corpus ships with the node, next to `src/`. */
export const defaultKnowledgeDir = fileURLToPath(new URL("../../knowledge/", import.meta.url));

export interface KnowledgeCorpus {
  files: KnowledgeFile[];
  passages: KnowledgePassage[];
  /** SHA-256 over the validated content: a changed passage, source or score means a re-seed. */
  hash: string;
  byId: ReadonlyMap<string, KnowledgePassage>;
}

export class KnowledgeCorpusError extends Error {
  override name = "KnowledgeCorpusError";
}

/** Reads and validates every `*.json` in the folder; a bad file names each problem and the file. */
export function loadKnowledgeCorpus(dir: string = defaultKnowledgeDir): KnowledgeCorpus {
  const names = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
  const raw: unknown[] = names.map((name) => {
    try {
      return JSON.parse(readFileSync(join(dir, name), "utf8"));
    } catch (error) {
      throw new KnowledgeCorpusError(`${name} is not valid JSON: ${(error as Error).message}`);
    }
  });
  const parsed = knowledgeCorpusSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const [fileIndex, ...rest] = issue.path;
      const file = typeof fileIndex === "number" ? names[fileIndex] : undefined;
      const where = file ? `${file}: ${rest.join(".") || "(root)"}` : issue.path.join(".") || "(corpus)";
      return `  - ${where}: ${issue.message}`;
    });
    throw new KnowledgeCorpusError(`The knowledge corpus in ${dir} is not valid:\n${problems.join("\n")}`);
  }
  return corpusFromFiles(parsed.data);
}

export function corpusFromFiles(files: KnowledgeFile[]): KnowledgeCorpus {
  const sorted = [...files].sort((a, b) => a.domain.localeCompare(b.domain));
  const passages = sorted.flatMap((file) => file.passages);
  // Hashed after validation, so key order or whitespace in the files never triggers a re-seed.
  const hash = createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
  return { files: sorted, passages, hash, byId: new Map(passages.map((p) => [p.id, p])) };
}

/** Techniques the corpus offers for one issue: the same ranking the edge applies to its catalog. */
export function techniquesForIssue(
  corpus: KnowledgeCorpus,
  request: KnowledgeTechniquesRequest,
): KnowledgeTechniquesResponse {
  return rankTechniques(corpus.passages, request);
}
