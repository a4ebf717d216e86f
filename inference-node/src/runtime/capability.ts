import type { Capability } from "@inkwell/models/manifest";
import { readMemory } from "../hardware.ts";
import type { InferenceBackend } from "./backend.ts";

/** A journal entry of ordinary length (~70 words): what the node spends most of its time on. */
export const BENCHMARK_TEXT =
  "Slept badly again and dragged myself to the office. The meeting about the move ran long, and I said " +
  "yes to two more things I have no time for. Walked home the long way by the canal, which helped a bit. " +
  "Called Mum, made soup, and I am trying to be in bed before eleven. Tomorrow: dentist at nine, then " +
  "finish the report before the weekend.";

export interface MeasureOptions {
  /** Timed runs at least, after one untimed run that lets ORT allocate. */
  minRuns?: number;
  /** Keep running (up to `maxRuns`) until this much time has passed, for a steadier figure. */
  minMs?: number;
  maxRuns?: number;
  freeMemoryMiB?: () => number;
}

/**
 * How this machine runs a loaded model: texts per second, one journal-length text at a time (the
 * analysis of one entry is what must keep up), and the memory still free with the model loaded. Takes
 * ~0.1–0.5 s; it replaces guessing from core count, which sent 2-core machines that run USE-lite
 * comfortably to the word-vector model.
 */
export async function measureCapability(
  backend: InferenceBackend,
  options: MeasureOptions = {},
): Promise<Capability> {
  const minRuns = options.minRuns ?? 5;
  const minMs = options.minMs ?? 100;
  const maxRuns = options.maxRuns ?? 50;
  const ids = backend.encode(BENCHMARK_TEXT);
  const run = async () => {
    if (backend.model.task === "embedding") await backend.embed([ids]);
    else await backend.classify([ids]);
  };
  await run();
  // The median run, not the mean: one run stalled by a neighbour's burst should not decide the model.
  const times: number[] = [];
  const started = performance.now();
  while (times.length < minRuns || (times.length < maxRuns && performance.now() - started < minMs)) {
    const before = performance.now();
    await run();
    times.push(performance.now() - before);
  }
  times.sort((a, b) => a - b);
  const median = Math.max(1e-3, times[Math.floor(times.length / 2)] as number);
  return {
    textsPerSecond: Number((1000 / median).toFixed(1)),
    freeMemoryMiB: (options.freeMemoryMiB ?? (() => readMemory().freeMiB))(),
  };
}
