import { ensureOfflineModels } from "@inkwell/models";

export default async function setup(): Promise<void> {
  await ensureOfflineModels((message) => process.stdout.write(`[inference-node] ${message}\n`), {
    progressBars: false,
  });
}
