import { loadManifest } from "@inkwell/models/manifest";
import { pulledModelsDir } from "@inkwell/models/paths";
import { pullModel } from "@inkwell/models/pull";

/**
 * `node dist/pull-models.js <id> [<id> …]` inside a node image (`npx tsx inference-node/src/pull-models.ts`
 * in a checkout): downloads manifest models, checksum-verified, into PULLED_MODELS_DIR (the images'
 * writable /data/models volume), never into the read-only built-in folder. The node picks them up at its
 * next start; a pulled model with the id of a built-in one replaces it.
 */
async function main(ids: string[]): Promise<number> {
  if (ids.length === 0) {
    process.stdout.write(
      "Usage: node dist/pull-models.js <model id> [<model id> …] (ids: models/manifest.json)\n",
    );
    return 1;
  }
  const manifest = loadManifest();
  const modelsDir = pulledModelsDir();
  for (const id of ids) await pullModel(manifest, id, { modelsDir });
  process.stdout.write(`Restart the node to load what was pulled into ${modelsDir}.\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
