import path from "node:path";
import { fileURLToPath } from "node:url";

/** The `models/` package folder. */
export const modelsPackageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Where built and pulled models live, one folder per model id. Git-ignored; `MODELS_DIR` moves it (the
 * Docker image keeps the default inside the image).
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.MODELS_DIR?.trim();
  return configured ? path.resolve(configured) : path.join(modelsPackageDir, "build");
}

/**
 * Where `npm run models -- pull` writes: `PULLED_MODELS_DIR` when set (the Docker images set a writable
 * volume, since their built-in folder is read-only), else the built-in folder as before.
 */
export function pulledModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.PULLED_MODELS_DIR?.trim();
  return configured ? path.resolve(configured) : defaultModelsDir(env);
}

/**
 * The folders a node reads models from, in the order it looks: the pulled folder first, so pulling a
 * model the image already carries upgrades it without rebuilding the image, then the built-in folder.
 * A model in neither is absent; an empty or freshly mounted pulled folder hides nothing.
 */
export function modelSearchDirs(dirs: { builtIn: string; pulled?: string | undefined }): string[] {
  const builtIn = path.resolve(dirs.builtIn);
  const pulled = dirs.pulled === undefined ? undefined : path.resolve(dirs.pulled);
  return pulled && pulled !== builtIn ? [pulled, builtIn] : [builtIn];
}

export function modelDir(modelsDir: string, id: string): string {
  return path.join(modelsDir, id);
}
