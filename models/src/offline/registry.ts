import { useLiteBuilder } from "../use-lite/offline-builder.ts";
import { emotionClassifierBuilder } from "./emotion-classifier.ts";
import { emotionHeadBuilder, sentimentHeadBuilder } from "./journal-heads.ts";
import { sentimentClassifierBuilder } from "./sentiment-classifier.ts";
import { staticEmbeddingBuilder } from "./static-embedding.ts";
import type { WordVectors } from "./word-vectors.ts";

export interface BuildProgress {
  /** Moves the bar to `value` of `total` with a short status; builders call it at natural steps. */
  update(value: number, total: number, status: string): void;
}

export interface BuildContext {
  /** An empty folder to write the model's files into; it replaces the model's folder only if build() succeeds. */
  outDir: string;
  /** The root holding every model's folder, e.g. to read a dependency's finished build. */
  modelsDir: string;
  /** The finished folder of another offline model (listed in `dependsOn`, so already up to date). */
  modelDir(id: string): string;
  /** The word vectors, parsed once per `build-offline` run however many builders ask. */
  wordVectors(limit: number): Promise<WordVectors>;
  progress: BuildProgress;
  log(message: string): void;
}

export interface BuildResult {
  /** Quality figures worth recording and printing (held-out accuracy, vocabulary size …). */
  metrics?: Record<string, number>;
}

/**
 * One model `build-offline` can make from packages already installed, without a network.
 */
export interface OfflineBuilder {
  /** The model id; its folder is `<modelsDir>/<id>`. */
  id: string;
  /** Builders whose output this one reads; built first, and their input hashes feed into this one's. */
  dependsOn?: string[];
  /**
   * A hash of everything the output depends on (source files, data package versions, parameters). When it
   * matches the hash recorded in the folder, the build is skipped.
   */
  inputsHash(): Promise<string>;
  build(ctx: BuildContext): Promise<BuildResult | undefined>;
}

/**
 * Every model `build-offline` makes, in any order (dependencies are sorted out below). Add new builders
 * here — one line — and a manifest entry with `"source": "offline-build"` and `"builder": "<id>"`.
 */
export const offlineBuilders: readonly OfflineBuilder[] = [
  staticEmbeddingBuilder,
  sentimentClassifierBuilder,
  emotionClassifierBuilder,
  useLiteBuilder,
  sentimentHeadBuilder,
  emotionHeadBuilder,
];

/** `builders`, each after the builders it depends on; refuses unknown or circular dependencies. */
export function buildOrder(builders: readonly OfflineBuilder[] = offlineBuilders): OfflineBuilder[] {
  const byId = new Map<string, OfflineBuilder>();
  for (const builder of builders) {
    if (byId.has(builder.id)) throw new Error(`Two offline builders have the id ${builder.id}`);
    byId.set(builder.id, builder);
  }
  const ordered: OfflineBuilder[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (builder: OfflineBuilder, trail: string[]) => {
    const mark = state.get(builder.id);
    if (mark === "done") return;
    if (mark === "visiting") {
      throw new Error(`Offline builders depend on each other: ${[...trail, builder.id].join(" → ")}`);
    }
    state.set(builder.id, "visiting");
    for (const dep of builder.dependsOn ?? []) {
      const target = byId.get(dep);
      if (!target) throw new Error(`Offline builder ${builder.id} depends on unknown builder ${dep}`);
      visit(target, [...trail, builder.id]);
    }
    state.set(builder.id, "done");
    ordered.push(builder);
  };
  for (const builder of builders) visit(builder, []);
  return ordered;
}
