import { setImmediate } from "node:timers/promises";
import {
  assessSafety,
  type ExtraSignal,
  LEXICAL_MODEL,
  lexicalRisk,
  normaliseSafetyText,
  readSignals,
  resultFromSignals,
  type SafetyResult,
  type SafetySignal,
  type SafetyWindow,
  type SignalReading,
  safetyWindows,
  wholeTextSignals,
  windowCancelled,
} from "@inkwell/shared";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { ENTRY_HEADS, type EntryHead, entryInput, entryProbability } from "./safety-entry-head.ts";
import { MEANING_HEADS, type MeaningHead } from "./safety-heads.ts";
import { CONTRAST_PROTOTYPES, type MeaningSignal, RISK_PROTOTYPES } from "./safety-prototypes.ts";

/** What the meaning layer needs from a model: L2-normalised vectors, one per text, in order. */
export interface SafetyEmbedder {
  readonly model: string;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export interface Prototype {
  signal: MeaningSignal | null;
  vector: Float32Array;
}

/** The best risk and contrast similarity of one window, and which risk signal it was closest to. */
export interface WindowScore {
  window: SafetyWindow;
  vector: Float32Array;
  risk: number;
  signal: MeaningSignal;
  contrast: number;
  /** The rules read this window as not the writer's present state. */
  cancelled: boolean;
}

export interface ReadingScores {
  reading: SignalReading;
  windows: WindowScore[];
  /** The whole text's vector, for the entry head. */
  entry: Float32Array;
  /** Length of the text, for the entry signal's span. */
  length: number;
  /** The lexical reader's probability that the whole text reads as high or critical risk. */
  lexical: number;
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
    readonly head: MeaningHead | undefined,
    readonly entryHead: EntryHead | undefined,
  ) {}

  /** Embeds the bank once; reuse the instance for every text. */
  static async create(
    embedder: SafetyEmbedder,
    head?: MeaningHead | null,
    entryHead?: EntryHead | null,
  ): Promise<SafetyMeaning> {
    const risk = Object.entries(RISK_PROTOTYPES).flatMap(([signal, texts]) =>
      texts.map((text) => ({ signal: signal as MeaningSignal, text })),
    );
    const contrast = Object.values(CONTRAST_PROTOTYPES).flatMap((texts) =>
      texts.map((text) => ({ signal: null, text })),
    );
    const all = [...risk, ...contrast];
    // The bank is already plain lower-case text: normalising is enough (no rule pass over it at start-up).
    const vectors = await embedder.embed(all.map((p) => normaliseSafetyText(p.text)));
    const prototypes = all.map((p, i) => ({ signal: p.signal, vector: vectors[i] as Float32Array }));
    return new SafetyMeaning(
      embedder,
      prototypes,
      head === null ? undefined : (head ?? MEANING_HEADS[embedder.model]),
      entryHead === null ? undefined : (entryHead ?? ENTRY_HEADS[embedder.model]),
    );
  }

  /** Window scores for a batch of texts (one embedding call for all their windows). */
  async score(texts: readonly string[]): Promise<ReadingScores[]> {
    // One text at a time, yielding between them: the rule pass is synchronous, and a batch must not stall
    // the event loop (the node sheds load when it does).
    const readings: SignalReading[] = [];
    for (const text of texts) {
      readings.push(readSignals(text));
      if (texts.length > 1) await setImmediate();
    }
    const windows = readings.map((reading) => safetyWindows(reading));
    const flat = windows.flat();
    // The whole texts first, then every window, in one call.
    const wholes = texts.map((text) => normaliseSafetyText(text));
    const vectors = await this.embedder.embed([...wholes, ...flat.map((w) => w.text)]);
    let next = texts.length;
    return readings.map((reading, r) => ({
      reading,
      entry: vectors[r] as Float32Array,
      length: texts[r]?.length ?? 0,
      lexical: lexicalRisk(reading),
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
        return { window, vector, risk, signal, contrast, cancelled: windowCancelled(reading, window) };
      }),
    }));
  }

  /** Prototype texts with their signal (null for a safe look-alike) and vectors, for training a head. */
  bank(): readonly Prototype[] {
    return this.prototypes;
  }

  /** Rules plus meaning for each text; rules and the lexical reader for a model without a trained head. */
  async assess(texts: readonly string[]): Promise<SafetyResult[]> {
    const head = this.head;
    if (!head) return texts.map((text) => assessSafety(text));
    const scored = await this.score(texts);
    return scored.map((s) => combine(s, head, this.entryHead));
  }
}

/**
 * The entry head's probability that the text reads as high or critical risk: its whole vector's (with the
 * rules' and the lexical reader's findings for a head that reads them), or, for a head that reads windows,
 * the highest of that and each window's the rules did not cancel.
 */
export function entryHeadProbability(
  head: EntryHead,
  scores: Pick<ReadingScores, "entry" | "windows" | "reading" | "lexical">,
): number {
  let p = entryProbability(head, entryInput(head, scores.entry, scores.reading, scores.lexical));
  if (!head.windows) return p;
  for (const w of scores.windows) {
    if (!w.cancelled)
      p = Math.max(p, entryProbability(head, entryInput(head, w.vector, scores.reading, scores.lexical)));
  }
  return p;
}

/** The rules' cues an entry head with a veto may read as everyday (see `EntryHead.veto`). */
const VETOABLE: ReadonlySet<SafetySignal> = new Set<SafetySignal>([
  "active_ideation",
  "intent",
  "plan",
  "means",
  "preparatory",
  "timing",
  "self_harm",
]);

/** Why a vetoed cue does not count, as the reading records it. */
export const VETOED = "read as everyday by the text's meaning";

/** The reading with the vetoable cues marked as not the writer's present risk. */
export function vetoedReading(reading: SignalReading): SignalReading {
  return {
    ...reading,
    hits: reading.hits.map((h) =>
      !h.cancelledBy && VETOABLE.has(h.signal) ? { ...h, cancelledBy: VETOED } : h,
    ),
  };
}

/** The head's probability that a window states risk. */
export function windowProbability(head: Pick<MeaningHead, "weights" | "bias">, vector: Float32Array): number {
  let z = head.bias;
  for (let i = 0; i < vector.length; i++) z += (head.weights[i] ?? 0) * (vector[i] as number);
  return 1 / (1 + Math.exp(-z));
}

/**
 * The whole text reads as risk when the lexical reader alone reaches its own threshold (so a node never
 * finds less than the edge), or when the mean of the entry head's and the lexical reader's probabilities
 * reaches the entry head's threshold (the two read different things: meaning and wording). The windows the
 * head reads as risk (probability at least the head's threshold, and not a window the rules read as
 * negated, someone else's, fiction or past) become signals, named by their nearest risk prototype, and go
 * with the rules' own hits into the level function.
 *
 * An entry head with a veto reads the rules' findings too: when that mean stays below the veto, the rules'
 * cues of an act or of active ideation are read as everyday ("cleaned the rifle tonight for the season"),
 * and the lexical reader alone adds nothing either; passive ideation, urges, past attempts and abuse still
 * count. Chat keeps the higher of the node's level and the edge's own, so a veto never lowers a chat
 * message's level below what the edge reads.
 */
export function combine(
  scores: ReadingScores,
  head: Pick<MeaningHead, "weights" | "bias" | "threshold">,
  entryHead?: EntryHead,
  /** The entry head's probability when the caller has it already (`entryHeadProbability`). */
  entryP?: number,
): SafetyResult {
  const mean = entryHead
    ? ((entryP ?? entryHeadProbability(entryHead, scores)) + scores.lexical) / 2
    : Number.NaN;
  // NaN (a broken model) never vetoes: the rules stand.
  const vetoed = entryHead?.veto !== undefined && mean < entryHead.veto;
  const lexical = vetoed
    ? []
    : wholeTextSignals(scores.reading, scores.lexical, LEXICAL_MODEL.threshold, { lexical: true });
  const joint = entryHead ? wholeTextSignals(scores.reading, mean, entryHead.threshold) : [];
  const extra: ExtraSignal[] = lexical.length > 0 ? lexical : joint;
  for (const w of scores.windows) {
    if (w.cancelled) continue;
    if (windowProbability(head, w.vector) < head.threshold) continue;
    extra.push({ signal: w.signal, reason: REASONS[w.signal], start: w.window.start, end: w.window.end });
  }
  return resultFromSignals(vetoed ? vetoedReading(scores.reading) : scores.reading, extra);
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

/**
 * Rules plus meaning for one text on this node. Should the encoder fail, the rules still answer: an
 * assessment is never lost to a model error.
 */
export async function assessSafetyOnNode(runtime: InferenceRuntime, text: string): Promise<SafetyResult> {
  try {
    const meaning = await safetyMeaningFor(runtime);
    const [result] = await meaning.assess([text]);
    if (result) return result;
  } catch {
    // Fall through to the rules and the lexical reader.
  }
  return assessSafety(text);
}
