import { ensureOfflineModels } from "../src/offline/build.ts";

export default async function setup(): Promise<void> {
  await ensureOfflineModels((message) => process.stdout.write(`[models] ${message}\n`), {
    progressBars: false,
  });
}
