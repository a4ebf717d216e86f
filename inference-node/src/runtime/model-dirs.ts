import { defaultModelsDir, modelSearchDirs } from "@inkwell/models/paths";
import type { Config } from "../config.ts";

/**
 * The folders this node loads models from, in the order it looks: PULLED_MODELS_DIR, then MODELS_DIR
 * (the built-in models). A model pulled into the first wins over the built-in copy of the same id, so an
 * operator upgrades a model by pulling it; a volume mounted on the pulled folder hides nothing built in.
 */
export function nodeModelDirs(models: Config["models"]): string[] {
  return modelSearchDirs({
    builtIn: models.dir ?? defaultModelsDir({}),
    ...(models.pulledDir ? { pulled: models.pulledDir } : {}),
  });
}
