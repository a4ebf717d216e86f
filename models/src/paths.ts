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

export function modelDir(modelsDir: string, id: string): string {
  return path.join(modelsDir, id);
}
