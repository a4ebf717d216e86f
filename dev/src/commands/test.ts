import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ensureOfflineModels } from "../../../models/src/offline/build.ts";
import { dataRoot, packageDir, repoRoot } from "../lib/paths.ts";
import { runInherit } from "../lib/run.ts";
import { ensureRedisServer } from "../redis/redis-server.ts";

const say = (message: string) => process.stdout.write(`${message}\n`);
const bin = (pkg: string, rel: string) => path.join(packageDir(pkg, repoRoot), rel);

export const TYPECHECKED_PACKAGES = ["shared", "models", "dev", "inference-node", "edge"] as const;

const vitestJson = z.object({
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  numPendingTests: z.number(),
  numTodoTests: z.number().optional(),
  numTotalTests: z.number(),
  success: z.boolean(),
});

async function step(name: string, run: () => Promise<number>): Promise<boolean> {
  const started = Date.now();
  say(`\n▶ ${name}`);
  const code = await run();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(code === 0 ? `✔ ${name} (${seconds} s)` : `✖ ${name} failed (exit ${code}, ${seconds} s)`);
  return code === 0;
}

/** `npm test`: lint, type-check every package, provision, then every suite against real services. */
export async function testCommand(args: string[]): Promise<number> {
  const started = Date.now();
  const results: boolean[] = [];
  results.push(
    await step("lint and format (biome)", () =>
      runInherit(process.execPath, [bin("@biomejs/biome", "bin/biome"), "check", "."]),
    ),
  );
  for (const pkg of TYPECHECKED_PACKAGES) {
    results.push(
      await step(`type-check ${pkg}`, () =>
        runInherit(process.execPath, [
          bin("typescript", "bin/tsc"),
          "--noEmit",
          "-p",
          path.join(repoRoot, pkg),
        ]),
      ),
    );
  }
  results.push(
    await step("provision redis-server", async () => {
      await ensureRedisServer(say);
      return 0;
    }),
  );

  results.push(
    await step("build offline models (cached; models/build/)", async () => {
      await ensureOfflineModels((message) => say(`  ${message}`));
      return 0;
    }),
  );

  const reportDir = path.join(dataRoot, "test");
  mkdirSync(reportDir, { recursive: true });
  const report = path.join(reportDir, "vitest-report.json");
  const testsOk = await step(
    "test suites (vitest: shared, models, dev, inference-node, edge in workerd, end-to-end)",
    () =>
      runInherit(process.execPath, [
        bin("vitest", "vitest.mjs"),
        "run",
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${report}`,
        ...args,
      ]),
  );
  results.push(testsOk);

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  let summary = "";
  try {
    const counts = vitestJson.parse(JSON.parse(readFileSync(report, "utf8")));
    summary = `${counts.numPassedTests} passed, ${counts.numFailedTests} failed, ${counts.numPendingTests + (counts.numTodoTests ?? 0)} skipped`;
  } catch {
    summary = "0 passed, 1 failed";
  }
  const failedSteps = results.filter((ok) => !ok).length;
  say(
    `\nnpm test finished in ${minutes} min; ${failedSteps === 0 ? "every step passed" : `${failedSteps} step(s) failed`}.`,
  );
  say(`Tests: ${summary}`);
  return failedSteps === 0 ? 0 : 1;
}
