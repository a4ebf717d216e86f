/**
 * Per-model thresholds for the meaning layer (`safety-meaning.ts`), calibrated on the training split of
 * the crisis set by `models/eval/crisis-calibrate.ts`: a window counts when its best risk similarity is at
 * least `risk` and beats its best safe look-alike by at least `margin`. A model without an entry (a pulled
 * transformer nobody calibrated yet, a test double) is assessed by the rules alone.
 */
export interface MeaningThresholds {
  risk: number;
  margin: number;
}

export const MEANING_THRESHOLDS: Readonly<Record<string, MeaningThresholds>> = {
  "use-lite": {risk: 0.67,margin: 0.21},
  "inkwell-static-embed-100d": {risk: 0.67,margin: 0.27},
};
