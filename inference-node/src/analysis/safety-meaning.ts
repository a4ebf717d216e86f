import {
  type ExtraSignal,
  readSignals,
  resultFromSignals,
  type SafetyResult,
  type SafetyWindow,
  type SignalReading,
  safetyWindows,
  windowCancelled,
} from "@inkwell/shared";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { CONTRAST_PROTOTYPES, type MeaningSignal, RISK_PROTOTYPES } from "./safety-prototypes.ts";
import { MEANING_THRESHOLDS, type MeaningThresholds } from "./safety-thresholds.ts";

/** What the meaning layer needs from a model: L2-normalised vectors, one per text, in order. */
export interface SafetyEmbedder {
  readonly model: string;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

interface Prototype {
  signal: MeaningSignal | null;
  vector: Float32Array;
}

/** The best risk and contrast similarity of one window, and which risk signal it was closest to. */
export interface WindowScore {
  window: SafetyWindow;
  risk: number;
  signal: MeaningSignal;
  contrast: number;
  /** The rules read this window as not the writer's present state. */
  cancelled: boolean;
}

export interface ReadingScores {
  reading: SignalReading;
  windows: WindowScore[];
}

const REASONS: Record<MeaningSignal, string> = {
  passive_ideation: "reads like passive thoughts of not being alive",
  active_ideation: "reads like thoughts of ending their life",
  intent: "reads like an intent to act",
  plan: "reads like a plan",
  means: "reads like having or gathering a means",
  preparatory: "reads like preparations or goodbyes",
  self_harm: "reads like harming themselves",
  abuse_threat: "reads like a threat to their life from someone",
};

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/**
 * Rules plus meaning: the rules read the text (signals, and what is negated, someone else's, fiction or
 * past); the node's sentence encoder compares every clause window with the prototype bank, and a window
 * that is close to a risk statement and clearly closer to it than to any safe look-alike adds that signal.
 * Both feed the same level function, so a window can raise the level but never explain away a rule.
 */
export class SafetyMeaning {
  private constructor(
    private readonly embedder: SafetyEmbedder,
    private readonly prototypes: Prototype[],
    readonly thresholds: MeaningThresholds | undefined,
  ) {}

  /** Embeds the bank once; reuse the instance for every text. */
  static async create(embedder: SafetyEmbedder, thresholds?: MeaningThresholds): Promise<SafetyMeaning> {
    const risk = Object.entries(RISK_PROTOTYPES).flatMap(([signal, texts]) =>
      texts.map((text) => ({ signal: signal as MeaningSignal, text })),
    );
    const contrast = Object.values(CONTRAST_PROTOTYPES).flatMap((texts) =>
      texts.map((text) => ({ signal: null, text })),
    );
    const all = [...risk, ...contrast];
    const vectors = await embedder.embed(all.map((p) => readSignals(p.text).text));
    const prototypes = all.map((p, i) => ({ signal: p.signal, vector: vectors[i] as Float32Array }));
    return new SafetyMeaning(embedder, prototypes, thresholds ?? MEANING_THRESHOLDS[embedder.model]);
  }

  /** Window scores for a batch of texts (one embedding call for all their windows). */
  async score(texts: readonly string[]): Promise<ReadingScores[]> {
    const readings = texts.map((text) => readSignals(text));
    const windows = readings.map((reading) => safetyWindows(reading));
    const flat = windows.flat();
    const vectors = flat.length > 0 ? await this.embedder.embed(flat.map((w) => w.text)) : [];
    let next = 0;
    return readings.map((reading, r) => ({
      reading,
      windows: (windows[r] ?? []).map((window) => {
        const vector = vectors[next++] as Float32Array;
        let risk = -1;
        let contrast = -1;
        let signal: MeaningSignal = "passive_ideation";
        for (const p of this.prototypes) {
          const sim = dot(vector, p.vector);
          if (p.signal === null) contrast = Math.max(contrast, sim);
          else if (sim > risk) {
            risk = sim;
            signal = p.signal;
          }
        }
        return { window, risk, signal, contrast, cancelled: windowCancelled(reading, window) };
      }),
    }));
  }

  /** Rules plus meaning for each text; rules alone for a model without calibrated thresholds. */
  async assess(texts: readonly string[]): Promise<SafetyResult[]> {
    const thresholds = this.thresholds;
    if (!thresholds) return texts.map((text) => resultFromSignals(readSignals(text)));
    const scored = await this.score(texts);
    return scored.map((s) => combine(s, thresholds));
  }
}

/** The windows that count as signals under some thresholds, fed with the rules' own hits to the level function. */
export function combine(scores: ReadingScores, thresholds: MeaningThresholds): SafetyResult {
  const extra: ExtraSignal[] = [];
  for (const w of scores.windows) {
    if (w.cancelled) continue;
    if (w.risk < thresholds.risk || w.risk - w.contrast < thresholds.margin) continue;
    extra.push({ signal: w.signal, reason: REASONS[w.signal], start: w.window.start, end: w.window.end });
  }
  return resultFromSignals(scores.reading, extra);
}

const perRuntime = new WeakMap<InferenceRuntime, Promise<SafetyMeaning>>();

/**
 * The node's assessor: the bank is embedded with the runtime's encoder on first use and kept for the
 * runtime's life (one node start), so an entry costs only its own windows.
 */
export function safetyMeaningFor(runtime: InferenceRuntime): Promise<SafetyMeaning> {
  let meaning = perRuntime.get(runtime);
  if (!meaning) {
    const model = runtime.models.find((m) => m.task === "embedding")?.id ?? "unknown";
    meaning = SafetyMeaning.create({
      model,
      embed: async (texts) => (await runtime.embed(texts)).vectors,
    });
    // A failed bank (the model was down at that moment) is retried on the next call, not cached.
    meaning.catch(() => perRuntime.delete(runtime));
    perRuntime.set(runtime, meaning);
  }
  return meaning;
}

/** Rules plus meaning for one text on this node. */
export async function assessSafetyOnNode(runtime: InferenceRuntime, text: string): Promise<SafetyResult> {
  const meaning = await safetyMeaningFor(runtime);
  const [result] = await meaning.assess([text]);
  return result ?? resultFromSignals(readSignals(text));
}
