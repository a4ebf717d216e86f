import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SAFETY_LEVELS, type SafetyLevel, type SafetyResult, safetyLevelSchema } from "@inkwell/shared";
import { z } from "zod";

export const crisisSetDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "data", "crisis");

export const crisisSignals = [
  "passive_ideation",
  "active_ideation",
  "intent",
  "plan",
  "means",
  "preparatory",
  "timing",
  "past_attempt",
  "self_harm",
  "abuse",
  "protective",
] as const;

export const crisisItemSchema = z.strictObject({
  id: z.string().min(1),
  text: z.string().min(1),
  level: safetyLevelSchema,
  group: z.enum(["crisis", "tricky", "ordinary"]),
  signals: z.array(z.enum(crisisSignals)).default([]),
});
export type CrisisItem = z.infer<typeof crisisItemSchema>;
export type CrisisSplit = "train" | "heldout";

/**
 * Fixed by the id alone, so an item never changes side when others are added or files are re-ordered:
 * the first four bytes of the id's SHA-256, and one value in three is held out.
 */
export function split(item: Pick<CrisisItem, "id">): CrisisSplit {
  const digest = createHash("sha256").update(item.id).digest();
  return digest.readUInt32BE(0) % 3 === 0 ? "heldout" : "train";
}

/** Folds for out-of-fold choices inside the training split (the heads' and the lexical reader's alike). */
export const CRISIS_FOLDS = 3;
export function crisisFold(item: Pick<CrisisItem, "id">): number {
  return createHash("sha256").update(`fold:${item.id}`).digest().readUInt32BE(0) % CRISIS_FOLDS;
}

/** Weights that make both classes of 0/1 labels count as much in a loss: [negative, positive]. */
export function balancedClassWeights(labels: readonly number[]): [number, number] {
  const positive = labels.filter((v) => v === 1).length;
  const negative = labels.length - positive;
  return [labels.length / (2 * Math.max(1, negative)), labels.length / (2 * Math.max(1, positive))];
}

/** Every `*.jsonl` file in the set, checked line by line; a bad line fails the load with its file and line. */
export async function loadCrisisSet(dir: string = crisisSetDir): Promise<CrisisItem[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".jsonl")).sort();
  const items: CrisisItem[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const lines = (await readFile(path.join(dir, file), "utf8")).split("\n");
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${index + 1}: not JSON`);
      }
      const parsed = crisisItemSchema.safeParse(json);
      if (!parsed.success) {
        throw new Error(
          `${file}:${index + 1}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
        );
      }
      if (seen.has(parsed.data.id)) throw new Error(`${file}:${index + 1}: duplicate id ${parsed.data.id}`);
      seen.add(parsed.data.id);
      items.push(parsed.data);
    });
  }
  return items;
}

const rank = (level: SafetyLevel): number => SAFETY_LEVELS.indexOf(level);

export interface CrisisMetrics {
  items: number;
  /** expected level → assessed level → count. */
  confusion: Record<SafetyLevel, Record<SafetyLevel, number>>;
  /** Items labelled high or critical that were assessed high or above. */
  highRecall: number;
  highTotal: number;
  /** Items labelled moderate or above that were assessed moderate or above. */
  moderateRecall: number;
  moderateTotal: number;
  /** Critical items assessed below high: must stay 0. */
  criticalBelowHigh: number;
  criticalTotal: number;
  /** Tricky non-crisis items assessed moderate or above. */
  trickyFalseAlarm: number;
  trickyTotal: number;
  /** Ordinary items assessed moderate or above. */
  ordinaryFalseAlarm: number;
  ordinaryTotal: number;
  /** Items whose level was exactly right. */
  exact: number;
  /**
   * Ids (never text) of the items each figure counts against: high/critical items rated below high,
   * non-crisis items rated moderate or above. Only for the training split, where tuning may look.
   */
  misses?: { missed: string[]; falseAlarms: string[] };
}

export interface CrisisReport {
  train: CrisisMetrics;
  heldout: CrisisMetrics;
}

function emptyConfusion(): Record<SafetyLevel, Record<SafetyLevel, number>> {
  const row = () => Object.fromEntries(SAFETY_LEVELS.map((l) => [l, 0])) as Record<SafetyLevel, number>;
  return Object.fromEntries(SAFETY_LEVELS.map((l) => [l, row()])) as Record<
    SafetyLevel,
    Record<SafetyLevel, number>
  >;
}

export function crisisMetrics(
  rows: readonly { item: CrisisItem; level: SafetyLevel }[],
  withMisses: boolean,
): CrisisMetrics {
  const confusion = emptyConfusion();
  const missed: string[] = [];
  const falseAlarms: string[] = [];
  let high = 0;
  let highTotal = 0;
  let moderate = 0;
  let moderateTotal = 0;
  let criticalBelowHigh = 0;
  let criticalTotal = 0;
  let tricky = 0;
  let trickyTotal = 0;
  let ordinary = 0;
  let ordinaryTotal = 0;
  let exact = 0;
  for (const { item, level } of rows) {
    confusion[item.level][level] += 1;
    if (item.level === level) exact += 1;
    const got = rank(level);
    if (rank(item.level) >= rank("moderate")) {
      moderateTotal += 1;
      if (got >= rank("moderate")) moderate += 1;
    }
    if (rank(item.level) >= rank("high")) {
      highTotal += 1;
      if (got >= rank("high")) high += 1;
      else missed.push(item.id);
    }
    if (item.level === "critical") {
      criticalTotal += 1;
      if (got < rank("high")) criticalBelowHigh += 1;
    }
    if (item.group === "tricky") {
      trickyTotal += 1;
      if (got >= rank("moderate")) {
        tricky += 1;
        falseAlarms.push(item.id);
      }
    }
    if (item.group === "ordinary") {
      ordinaryTotal += 1;
      if (got >= rank("moderate")) {
        ordinary += 1;
        falseAlarms.push(item.id);
      }
    }
  }
  const ratio = (n: number, d: number) => (d === 0 ? 0 : Number((n / d).toFixed(4)));
  return {
    items: rows.length,
    confusion,
    highRecall: ratio(high, highTotal),
    highTotal,
    moderateRecall: ratio(moderate, moderateTotal),
    moderateTotal,
    criticalBelowHigh,
    criticalTotal,
    trickyFalseAlarm: ratio(tricky, trickyTotal),
    trickyTotal,
    ordinaryFalseAlarm: ratio(ordinary, ordinaryTotal),
    ordinaryTotal,
    exact: ratio(exact, rows.length),
    ...(withMisses ? { misses: { missed, falseAlarms } } : {}),
  };
}

export type CrisisAssess = (texts: readonly string[]) => Promise<readonly SafetyResult[]>;

/**
 * Runs an assessor over the whole set and scores each split. The assessor takes a batch (a node assessor
 * embeds many texts at once); held-out texts go to the assessor and nowhere else, and only their figures
 * come back (no ids, no text).
 */
export async function evaluateCrisis(
  assess: CrisisAssess,
  items?: readonly CrisisItem[],
): Promise<CrisisReport> {
  const set = items ?? (await loadCrisisSet());
  const results = await assess(set.map((item) => item.text));
  const rows = set.map((item, i) => ({ item, level: results[i]?.level ?? "none" }));
  return {
    train: crisisMetrics(
      rows.filter((r) => split(r.item) === "train"),
      true,
    ),
    heldout: crisisMetrics(
      rows.filter((r) => split(r.item) === "heldout"),
      false,
    ),
  };
}
