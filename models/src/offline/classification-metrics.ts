/** Per-class and macro figures for single-label predictions, as scikit-learn's classification report. */
export interface ClassFigures {
  precision: number;
  recall: number;
  f1: number;
  /** Gold items of this class. */
  support: number;
}

export interface ClassificationFigures {
  accuracy: number;
  macroF1: number;
  perClass: Record<string, ClassFigures>;
  /** confusion[gold][predicted] = count. */
  confusion: Record<string, Record<string, number>>;
  items: number;
}

/**
 * Scores `predicted` against `gold` over `labels`. A class that never occurs and is never predicted is
 * left out of the macro average (it has no F1 to speak of); one that occurs but is never predicted
 * counts as 0.
 */
export function classificationFigures(
  labels: readonly string[],
  gold: readonly string[],
  predicted: readonly string[],
): ClassificationFigures {
  const confusion: Record<string, Record<string, number>> = {};
  for (const g of labels) {
    confusion[g] = {};
    for (const p of labels) (confusion[g] as Record<string, number>)[p] = 0;
  }
  let correct = 0;
  gold.forEach((g, i) => {
    const p = predicted[i] as string;
    const row = confusion[g];
    if (!row || row[p] === undefined) throw new Error(`unknown label ${g} → ${p}`);
    row[p] = (row[p] as number) + 1;
    if (g === p) correct++;
  });
  const perClass: Record<string, ClassFigures> = {};
  const f1s: number[] = [];
  for (const label of labels) {
    const truePositives = confusion[label]?.[label] ?? 0;
    const support = labels.reduce((n, p) => n + (confusion[label]?.[p] ?? 0), 0);
    const predictedCount = labels.reduce((n, g) => n + (confusion[g]?.[label] ?? 0), 0);
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[label] = { precision, recall, f1, support };
    if (support > 0 || predictedCount > 0) f1s.push(f1);
  }
  return {
    accuracy: gold.length === 0 ? 0 : correct / gold.length,
    macroF1: f1s.length === 0 ? 0 : f1s.reduce((a, b) => a + b, 0) / f1s.length,
    perClass,
    confusion,
    items: gold.length,
  };
}

/** The label with the highest score (ties: the first label). */
export function argmaxLabel(labels: readonly string[], scores: readonly number[]): string {
  let best = 0;
  for (let k = 1; k < labels.length; k++) if ((scores[k] as number) > (scores[best] as number)) best = k;
  return labels[best] as string;
}

/**
 * Example-based F1 of label sets (mean over items of 2|P∩G| / (|P| + |G|)): how well one- or two-label
 * predictions match one- or two-label gold sets.
 */
export function setF1(
  gold: readonly (readonly string[])[],
  predicted: readonly (readonly string[])[],
): number {
  if (gold.length === 0) return 0;
  let total = 0;
  gold.forEach((g, i) => {
    const p = predicted[i] ?? [];
    const overlap = p.filter((label) => g.includes(label)).length;
    total += (2 * overlap) / Math.max(1, g.length + p.length);
  });
  return total / gold.length;
}
