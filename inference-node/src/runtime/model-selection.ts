import type { Capability, HardwareTier, Manifest, OnnxModelEntry } from "@inkwell/models/manifest";
import { locateModel, type ModelStatus } from "@inkwell/models/verify";
import type { ModelTask } from "@inkwell/shared";
import { ModelLoadError } from "./errors.ts";

/** The tasks ONNX models serve (an LLM is chosen by `llm/select-backend.ts`). */
export const servedTasks = ["embedding", "sentiment", "emotion"] as const satisfies readonly ModelTask[];
export type ServedTask = (typeof servedTasks)[number];

export interface Candidate {
  id: string;
  priority: number;
  outcome: "chosen" | "skipped";
  why: string;
  /** What this machine showed, for a model whose manifest entry `requires` a measured capability. */
  measured?: Capability;
}

export interface TaskDecision {
  task: ServedTask;
  chosen: string;
  /** Every model considered, best first, with why it was or was not taken. */
  candidates: Candidate[];
}

export interface ModelSelection {
  tier: HardwareTier;
  decisions: TaskDecision[];
}

export type ModelPins = Partial<Record<ServedTask, string>>;

/** Loads a model present on disk and measures what this machine does with it (see `requires`). */
export type MeasureCapability = (model: OnnxModelEntry) => Promise<Capability>;

/** Why a measured machine falls short of a model's requirements, or undefined when it does not. */
export function capabilityShortfall(required: Capability, measured: Capability): string | undefined {
  const problems: string[] = [];
  if (measured.textsPerSecond < required.textsPerSecond) {
    problems.push(
      `runs ${measured.textsPerSecond.toFixed(1)} texts/s here, needs ${required.textsPerSecond}`,
    );
  }
  if (measured.freeMemoryMiB < required.freeMemoryMiB) {
    problems.push(`${measured.freeMemoryMiB} MiB free after loading, needs ${required.freeMemoryMiB}`);
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

const describeCapability = (measured: Capability, required: Capability) =>
  `measured ${measured.textsPerSecond.toFixed(1)} texts/s (needs ${required.textsPerSecond}) and ${measured.freeMemoryMiB} MiB free (needs ${required.freeMemoryMiB})`;

/**
 * The tier table: for each task, the manifest's ONNX models whose `tiers` include this node's tier,
 * best (`priority`) first. Bigger transformer models suit GPUs and roomy CPUs; the built static models
 * suit every tier and are always there, so they are the floor. The first candidate that is present wins;
 * one that is present but broken stops start-up (an operator would want to know), unlike one never pulled.
 * `modelDirs` are searched in order (pulled, then built-in): a model is taken from the first that holds it.
 *
 * A model whose entry `requires` a capability (USE-lite and the heads over it) is not judged by the tier,
 * a guess from core count and memory: `measure` loads it and times it on this machine, and it is taken
 * only if the machine keeps up. A 2-core laptop that runs USE-lite at hundreds of texts a second gets
 * it; a machine that truly cannot falls through to the static models. Without `measure` such a model is
 * skipped, never taken on trust.
 */
export async function selectModels(
  manifest: Manifest,
  tier: HardwareTier,
  modelDirs: readonly string[],
  pins: ModelPins = {},
  check: (model: OnnxModelEntry) => Promise<ModelStatus> = async (model) =>
    (await locateModel(model, modelDirs, false)).status,
  measure?: MeasureCapability,
): Promise<ModelSelection> {
  const decisions: TaskDecision[] = [];
  // One measurement per encoder: a head is measured as the encoder it runs, so USE-lite and the heads
  // over it are taken or passed over together rather than split by the noise of three timings.
  const measurements = new Map<string, Promise<Capability>>();
  const measuredFor = async (model: OnnxModelEntry): Promise<Capability | undefined> => {
    const target = model.encoder
      ? manifest.models.find((m): m is OnnxModelEntry => m.id === model.encoder && m.format === "onnx")
      : model;
    if (!target || !measure) return undefined;
    let pending = measurements.get(target.id);
    if (!pending) {
      pending = measure(target);
      measurements.set(target.id, pending);
    }
    return await pending;
  };
  for (const task of servedTasks) {
    const all = manifest.models.filter((m): m is OnnxModelEntry => m.format === "onnx" && m.task === task);
    const pinned = pins[task];
    const candidates: Candidate[] = [];
    let chosen: string | undefined;
    if (pinned) {
      const model = all.find((m) => m.id === pinned);
      if (!model) {
        throw new ModelLoadError(
          `${task} model ${pinned} (pinned by configuration) is not a ${task} model in the manifest`,
        );
      }
      const status = await check(model);
      if (status.state !== "ok") {
        throw new ModelLoadError(
          status.state === "bad"
            ? `${task} model ${pinned} is broken: ${status.problems.join("; ")}`
            : `${task} model ${pinned} (pinned by configuration) is not here; run npm run models -- ${model.source === "remote" ? `pull ${pinned}` : "build-offline"}`,
        );
      }
      candidates.push({
        id: pinned,
        priority: model.priority,
        outcome: "chosen",
        why: "pinned by configuration",
      });
      decisions.push({ task, chosen: pinned, candidates });
      continue;
    }
    const ranked = [...all].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
    const problems: string[] = [];
    for (const model of ranked) {
      if (chosen) {
        candidates.push({
          id: model.id,
          priority: model.priority,
          outcome: "skipped",
          why: "a better model was chosen",
        });
        continue;
      }
      if (!model.tiers.includes(tier)) {
        candidates.push({
          id: model.id,
          priority: model.priority,
          outcome: "skipped",
          why: `suits ${model.tiers.join(", ")}, not ${tier}`,
        });
        continue;
      }
      const status = await check(model);
      if (status.state === "ok" && model.requires) {
        if (!measure) {
          candidates.push({
            id: model.id,
            priority: model.priority,
            outcome: "skipped",
            why: "needs a start-up measurement, and none was taken",
          });
          continue;
        }
        const measured = await measuredFor(model);
        if (!measured) {
          candidates.push({
            id: model.id,
            priority: model.priority,
            outcome: "skipped",
            why: `its encoder ${model.encoder} is not an ONNX model in the manifest`,
          });
          continue;
        }
        const shortfall = capabilityShortfall(model.requires, measured);
        if (shortfall) {
          candidates.push({
            id: model.id,
            priority: model.priority,
            outcome: "skipped",
            why: `this machine cannot run it well: ${shortfall}`,
            measured,
          });
          continue;
        }
        chosen = model.id;
        candidates.push({
          id: model.id,
          priority: model.priority,
          outcome: "chosen",
          why: `best ${task} model present; ${describeCapability(measured, model.requires)}`,
          measured,
        });
      } else if (status.state === "ok") {
        chosen = model.id;
        candidates.push({
          id: model.id,
          priority: model.priority,
          outcome: "chosen",
          why: `best ${task} model present for ${tier}`,
        });
      } else if (status.state === "bad") {
        throw new ModelLoadError(`${task} model ${model.id} is broken: ${status.problems.join("; ")}`);
      } else {
        const hint =
          model.source === "remote"
            ? `npm run models -- pull ${model.id}`
            : "npm run models -- build-offline";
        problems.push(`${model.id}/${model.files[0]?.path ?? ""} in ${modelDirs.join(" or ")} (${hint})`);
        candidates.push({
          id: model.id,
          priority: model.priority,
          outcome: "skipped",
          why: `not here (${hint})`,
        });
      }
    }
    if (!chosen) {
      throw new ModelLoadError(
        `No ${task} model is available for tier ${tier}: ${problems.length > 0 ? `missing ${problems.join(", ")}` : "none suits this tier"}.`,
      );
    }
    decisions.push({ task, chosen, candidates });
  }
  return { tier, decisions };
}
