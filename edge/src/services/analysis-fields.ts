import type { KeySource } from "../crypto/field-cipher.ts";
import { type ColumnRef, openJson, sealJson } from "../crypto/sealed-columns.ts";
import type { entryAnalyses } from "../db/schema/index.ts";

/**
 * An entry analysis's text at rest (docs/design/encryption.md): the keywords and each thinking pattern's
 * evidence (words quoted from the entry) are sealed with the writer's key; sentiment, emotions, pattern
 * labels and scores are fixed labels and numbers and stay in the clear, so insights still aggregate them
 * in SQL. Rows stored before encryption hold keywords and evidence in plaintext until the encrypt-rows
 * job reaches them; every reader goes through `openAnalysisFields`, which takes either form.
 */
export interface AnalysisPattern {
  label: string;
  score: number;
  evidence: string;
  /** How many places showed it (a number, kept in the clear like the score). */
  occurrences?: number;
}

type StoredPattern = Omit<AnalysisPattern, "evidence"> & { evidence?: string };

export interface StoredAnalysisText {
  keywords: string[] | null;
  keywordsCt: string | null;
  patterns: StoredPattern[] | null;
  evidenceCt: string | null;
}

const analysisRef = (row: { userId: string; entryId: string }): ColumnRef => ({
  userId: row.userId,
  table: "entry_analyses",
  rowId: row.entryId,
});

/** The stored form of an analysis's keywords and patterns: sealed text, labels and scores in the clear. */
export async function sealAnalysisFields(
  keys: KeySource,
  row: { userId: string; entryId: string },
  fields: { keywords: string[]; patterns: AnalysisPattern[] | null },
): Promise<Pick<typeof entryAnalyses.$inferInsert, "keywords" | "keywordsCt" | "patterns" | "evidenceCt">> {
  const ref = analysisRef(row);
  return {
    keywords: null,
    keywordsCt: await sealJson(keys, ref, "keywords", fields.keywords),
    patterns: fields.patterns?.map(({ evidence: _sealed, ...clear }) => clear) ?? null,
    evidenceCt: fields.patterns
      ? await sealJson(
          keys,
          ref,
          "patterns",
          fields.patterns.map((p) => p.evidence),
        )
      : null,
  };
}

/** The column values that leave an analysis without text (a reset for a new version). */
export const NO_ANALYSIS_TEXT = {
  keywords: null,
  keywordsCt: null,
  patterns: null,
  evidenceCt: null,
} as const;

/**
 * Keywords and patterns as the writer sees them, from either stored form. A pattern whose evidence is
 * missing (a sealed list shorter than the patterns) is dropped rather than shown without its words.
 */
export async function openAnalysisFields(
  keys: KeySource,
  row: { userId: string; entryId: string } & StoredAnalysisText,
): Promise<{ keywords: string[] | null; patterns: AnalysisPattern[] | null }> {
  const ref = analysisRef(row);
  const [keywords, evidence] = await Promise.all([
    openJson<string[], string[] | null>(keys, ref, "keywords", row.keywordsCt, row.keywords),
    row.evidenceCt === null
      ? Promise.resolve(null)
      : openJson<string[], null>(keys, ref, "patterns", row.evidenceCt, null),
  ]);
  if (row.patterns === null) return { keywords, patterns: null };
  const patterns: AnalysisPattern[] = [];
  row.patterns.forEach((p, i) => {
    const words = evidence ? evidence[i] : p.evidence;
    if (typeof words === "string") patterns.push({ ...p, evidence: words });
  });
  return { keywords, patterns };
}

/** Just the keywords (insights and greetings that read no evidence). */
export async function openAnalysisKeywords(
  keys: KeySource,
  row: { userId: string; entryId: string; keywords: string[] | null; keywordsCt: string | null },
): Promise<string[] | null> {
  return await openJson<string[], string[] | null>(
    keys,
    analysisRef(row),
    "keywords",
    row.keywordsCt,
    row.keywords,
  );
}
