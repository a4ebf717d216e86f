import { DISTORTION_LABELS, type DistortionLabel } from "@inkwell/shared";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { entries, entryAnalyses } from "../db/schema/index.ts";
import { openAnalysisFields } from "./analysis-fields.ts";

/** How far back a pattern detective looks: the latest analysed entries that showed any thinking pattern. */
const RECENT_ENTRIES = 60;
const MAX_LABELS = 5;
const EVIDENCE_PER_LABEL = 2;
const EVIDENCE_MAX_CHARS = 160;

export interface PatternEvidence {
  entryId: string;
  occurredAt: string;
  text: string;
  score: number;
}

export interface ThinkingPattern {
  label: DistortionLabel;
  /** Entries (of those looked at) that showed the pattern. */
  entryCount: number;
  lastSeen: string;
  evidence: PatternEvidence[];
}

export interface ThinkingPatterns {
  /** Analysed entries with at least one pattern that were looked at. */
  entriesLookedAt: number;
  patterns: ThinkingPattern[];
}

const labels = new Set<string>(DISTORTION_LABELS);

/**
 * The person's recurring thinking patterns, from the cognitive-distortion patterns stored with each
 * entry's analysis: per label, how many of the recent entries showed it, and the clearest phrases with the
 * entries they come from (so the model can cite them). Only live entries, analysed for their current text.
 * Labels and scores are stored in the clear; the evidence is opened with the writer's key.
 */
export async function recentThinkingPatterns(
  db: Database,
  keys: KeySource,
  userId: string,
): Promise<ThinkingPatterns> {
  const rows = await db
    .select({
      entryId: entryAnalyses.entryId,
      occurredAt: entries.occurredAt,
      patterns: entryAnalyses.patterns,
      evidenceCt: entryAnalyses.evidenceCt,
    })
    .from(entryAnalyses)
    .innerJoin(entries, eq(entries.id, entryAnalyses.entryId))
    .where(
      and(
        eq(entryAnalyses.userId, userId),
        eq(entries.userId, userId),
        isNull(entries.deletedAt),
        eq(entryAnalyses.status, "done"),
        eq(entryAnalyses.contentVersion, entries.contentVersion),
        sql`jsonb_typeof(${entryAnalyses.patterns}) = 'array' and jsonb_array_length(${entryAnalyses.patterns}) > 0`,
      ),
    )
    .orderBy(desc(entries.occurredAt), desc(entries.id))
    .limit(RECENT_ENTRIES);

  const byLabel = new Map<DistortionLabel, ThinkingPattern>();
  const opened = await Promise.all(
    rows.map((row) =>
      openAnalysisFields(keys, { ...row, userId, keywords: null, keywordsCt: null }).then((fields) => ({
        ...row,
        patterns: fields.patterns,
      })),
    ),
  );
  for (const row of opened) {
    const occurredAt = row.occurredAt.toISOString();
    const seen = new Set<string>();
    for (const found of row.patterns ?? []) {
      if (!labels.has(found.label) || seen.has(found.label) || typeof found.evidence !== "string") continue;
      seen.add(found.label);
      const label = found.label as DistortionLabel;
      const pattern = byLabel.get(label) ?? { label, entryCount: 0, lastSeen: occurredAt, evidence: [] };
      pattern.entryCount += 1;
      // Rows come newest first, so the first sighting is the latest.
      pattern.evidence.push({
        entryId: row.entryId,
        occurredAt,
        text: found.evidence.slice(0, EVIDENCE_MAX_CHARS),
        score: typeof found.score === "number" ? found.score : 0,
      });
      byLabel.set(label, pattern);
    }
  }
  const patterns = [...byLabel.values()]
    .sort((a, b) => b.entryCount - a.entryCount || b.lastSeen.localeCompare(a.lastSeen))
    .slice(0, MAX_LABELS)
    .map((p) => ({
      ...p,
      // The clearest examples, most recent first among equals.
      evidence: [...p.evidence]
        .sort((a, b) => b.score - a.score || b.occurredAt.localeCompare(a.occurredAt))
        .slice(0, EVIDENCE_PER_LABEL),
    }));
  return { entriesLookedAt: rows.length, patterns };
}

/** Words for a label: `all_or_nothing` → "all or nothing". */
export function patternName(label: DistortionLabel): string {
  return label.replaceAll("_", " ");
}

/** The `<patterns>` block of the prompt: quoted data, escaped like every other block. */
export function patternsBlock(found: ThinkingPatterns, quote: (text: string) => string): string | undefined {
  if (found.patterns.length === 0) return undefined;
  const lines = [
    `<patterns entries="${found.entriesLookedAt}" note="thinking patterns detected automatically in the person's recent entries; entries = how many of them showed each">`,
  ];
  for (const p of found.patterns) {
    lines.push(
      `<pattern name="${patternName(p.label)}" entries="${p.entryCount}" lastSeen="${p.lastSeen.slice(0, 10)}">`,
    );
    for (const e of p.evidence) {
      lines.push(
        `<evidence entry="${e.entryId}" date="${e.occurredAt.slice(0, 10)}">${quote(e.text)}</evidence>`,
      );
    }
    lines.push("</pattern>");
  }
  lines.push("</patterns>");
  return lines.join("\n");
}
