import { resultFromSignals, SAFETY_LEVELS, SAFETY_SIGNALS, type SignalReading } from "@inkwell/shared";
import { z } from "zod";
import weights from "./safety-entry-heads.weights.json" with { type: "json" };

/**
 * The entry head of the crisis assessment: per embedding model, a small ensemble of one-hidden-layer
 * networks over the vector of the whole text (normalised, as the rules read it). Indirect wording spreads
 * risk over a text (goodbyes, affairs put in order, a calm after deciding) that no single clause states,
 * and a linear read of the vector missed much of it. Trained on the crisis set's training split by
 * `models/eval/crisis-head.ts`, which writes `safety-entry-heads.weights.json`; the threshold is chosen
 * out of fold and applies to the mean of this head's and the lexical reader's probabilities.
 */
export interface EntryNetwork {
  /** Hidden units × input dimensions, row by row (input scaling is folded in). */
  w1: readonly number[];
  b1: readonly number[];
  w2: readonly number[];
  b2: number;
}

export interface EntryHead {
  dims: number;
  threshold: number;
  members: readonly EntryNetwork[];
  /**
   * Also read every sentence window the rules did not explain away (negated, someone else's, fiction,
   * past) and take the highest probability, so one or two sentences of risk inside a long entry about an
   * ordinary day are read as they would be on their own. Chosen out of fold by the trainer.
   */
  windows?: boolean;
  /**
   * The input is the vector followed by what the rules and the lexical reader found ({@link ruleFeatures}),
   * so the networks learn when a rule's cue is corroborated by the text's meaning and when it is everyday
   * ("cleaned the rifle tonight for the season").
   */
  rules?: boolean;
  /**
   * Below this probability (the mean of the head's and the lexical reader's), the rules' cues of ideation,
   * intent, plans, means, preparations, timing and self-harm acts are read as everyday and do not count;
   * passive ideation, urges, past attempts and abuse always do. Chosen out of fold by the trainer; absent:
   * the head only ever raises the level.
   */
  veto?: number;
}

/** Rule signals, rule level (one-hot) and the lexical reader's probability: 15 + 5 + 1 inputs. */
export const RULE_FEATURES = SAFETY_SIGNALS.length + SAFETY_LEVELS.length + 1;

/** What the rules alone and the lexical reader say about a text, as the extra inputs of a `rules` head. */
export function ruleFeatures(reading: SignalReading, lexical: number): Float32Array {
  const rules = resultFromSignals(reading);
  const out = new Float32Array(RULE_FEATURES);
  const present = new Set(rules.signals ?? []);
  SAFETY_SIGNALS.forEach((signal, i) => {
    out[i] = present.has(signal) ? 1 : 0;
  });
  out[SAFETY_SIGNALS.length + SAFETY_LEVELS.indexOf(rules.level)] = 1;
  out[RULE_FEATURES - 1] = Number.isFinite(lexical) ? lexical : 0;
  return out;
}

/** The head's input for a text: its vector, followed by the rule features when the head reads them. */
export function entryInput(
  head: Pick<EntryHead, "rules">,
  vector: Float32Array,
  reading: SignalReading,
  lexical: number,
): Float32Array {
  if (!head.rules) return vector;
  const input = new Float32Array(vector.length + RULE_FEATURES);
  input.set(vector);
  input.set(ruleFeatures(reading, lexical), vector.length);
  return input;
}

const networkSchema = z.object({
  w1: z.array(z.number()),
  b1: z.array(z.number()).min(1),
  w2: z.array(z.number()),
  b2: z.number(),
});

const entryHeadSchema = z
  .object({
    dims: z.number().int().positive(),
    threshold: z.number().gt(0).lte(1.01),
    members: z.array(networkSchema).min(1),
    windows: z.boolean().optional(),
    rules: z.boolean().optional(),
    veto: z.number().gte(0).lt(1).optional(),
  })
  .refine(
    (h) => h.members.every((m) => m.w2.length === m.b1.length && m.w1.length === m.b1.length * h.dims),
    "a network's layers do not fit its input size",
  );

export const ENTRY_HEADS: Readonly<Record<string, EntryHead>> = z
  .record(z.string(), entryHeadSchema)
  .parse(weights);

/** The ensemble's mean probability that the whole text reads as high or critical risk. */
export function entryProbability(head: EntryHead, vector: Float32Array): number {
  if (vector.length !== head.dims) return Number.NaN;
  let sum = 0;
  for (const m of head.members) {
    let z = m.b2;
    const hidden = m.b1.length;
    for (let h = 0; h < hidden; h++) {
      let a = m.b1[h] as number;
      const row = h * head.dims;
      for (let i = 0; i < head.dims; i++) a += (m.w1[row + i] as number) * (vector[i] as number);
      if (a > 0) z += a * (m.w2[h] as number);
    }
    sum += 1 / (1 + Math.exp(-z));
  }
  return sum / head.members.length;
}
