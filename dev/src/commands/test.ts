import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { ensureOfflineModels } from "@inkwell/models/offline/build";
import { z } from "zod";
import { dataRoot, packageDir, repoRoot } from "../lib/paths.ts";
import { runInherit } from "../lib/run.ts";
import { ensureRedisServer } from "../redis/redis-server.ts";
import { ensureWebBuild } from "../web/build-web.ts";
import { ensureChromium } from "../web/chromium.ts";

const say = (message: string) => process.stdout.write(`${message}\n`);
const bin = (pkg: string, rel: string) => path.join(packageDir(pkg, repoRoot), rel);

export const TYPECHECKED_PACKAGES = ["shared", "models", "dev", "inference-node", "edge", "web"] as const;

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

function typecheckPackage(pkg: string): Promise<number> {
  return runInherit(process.execPath, [
    bin("typescript", "bin/tsc"),
    "--noEmit",
    "-p",
    path.join(repoRoot, pkg),
  ]);
}

/** `npm run typecheck`: every package, each with its own tsconfig. */
export async function typecheckCommand(): Promise<number> {
  let failed = 0;
  for (const pkg of TYPECHECKED_PACKAGES) {
    if (!(await step(`type-check ${pkg}`, () => typecheckPackage(pkg)))) failed += 1;
  }
  return failed === 0 ? 0 : 1;
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
    results.push(await step(`type-check ${pkg}`, () => typecheckPackage(pkg)));
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

  results.push(
    await step("provision chromium (browser tests)", async () => {
      try {
        await ensureChromium(say);
        return 0;
      } catch (err) {
        // The browser suite then fails with the same message; every other suite still runs.
        say(`  ${err instanceof Error ? err.message : String(err)}`);
        return 1;
      }
    }),
  );
  results.push(
    await step("build the web app (cached; web/dist/)", async () => {
      // Every suite that starts the Worker needs it: wrangler.toml's [assets] serves web/dist.
      await ensureWebBuild((message) => say(`  ${message}`));
      return 0;
    }),
  );

  const reportDir = path.join(dataRoot, "test");
  mkdirSync(reportDir, { recursive: true });
  // One group at a time: each group starts its own real services (workerd, Postgres, Redis, Chroma,
  // nodes), and on two cores running them all at once starves every one of them.
  // The first-run paths (a bare machine's bootstrap, the node image, deploy files) install and build
  // whole trees of their own: they run last, alone, so they neither starve nor are starved.
  const firstRun = ["test/bootstrap/", "test/packaging/"];
  const browser = ["test/browser/"];
  const edgeAccounts = [
    "test/auth/",
    "test/api-keys/",
    "test/privacy/",
    "test/db/",
    "test/lib/",
    "test/middleware/",
    "test/health",
    "test/client",
    "test/tenancy",
  ];
  const edgeJournal = [
    "test/entries/",
    "test/mood-checkins/",
    "test/templates/",
    "test/prompts/",
    "test/psychology/",
    "test/topics/",
    "test/crypto/",
  ];
  const edgePipeline = ["test/pipeline/", "test/jobs/", "test/admin/"];
  const groups: { name: string; projects: string[]; filters?: string[]; exclude?: string[] }[] = [
    { name: "unit: shared, models, inference-node", projects: ["shared", "models", "inference-node"] },
    // The edge suites run in several workerd sessions rather than one. @cloudflare/vitest-pool-workers wraps
    // its entrypoint class's prototype in one more Proxy every time it constructs an instance
    // (createProxyPrototypeClass in its test-internal.mjs), so each request deepens every later property
    // lookup; one session of every suite ended, some thousands of requests in, with every call to the
    // Worker failing on "Maximum call stack size exceeded". The Worker's own code is not involved. Two
    // sessions were enough until the suites grew past that again: keep each to a few thousand requests.
    { name: "edge inside workerd: accounts and access", projects: ["edge"], filters: edgeAccounts },
    { name: "edge inside workerd: journal", projects: ["edge"], filters: edgeJournal },
    { name: "edge inside workerd: pipeline and administration", projects: ["edge"], filters: edgePipeline },
    {
      name: "edge inside workerd: insights and chat",
      projects: ["edge"],
      exclude: ["test/security/", ...edgeAccounts, ...edgeJournal, ...edgePipeline],
    },
    // The generated security matrix sends hundreds of requests: alone, it neither starves the other edge
    // suites' single workerd nor is starved by them.
    { name: "edge security matrix", projects: ["edge"], filters: ["test/security/"] },
    { name: "local stack, pipeline and end-to-end", projects: ["dev"], exclude: [...firstRun, ...browser] },
    // Chromium through the app the Worker serves, on a whole stack of its own.
    { name: "browser: the journal app and the operator console", projects: ["dev"], filters: browser },
    { name: "first run: bare-machine bootstrap, node image, deploy", projects: ["dev"], filters: firstRun },
  ];
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const group of groups) {
    const slug = group.name.replace(/[^a-z]+/gi, "-").toLowerCase();
    const report = path.join(reportDir, `vitest-${slug}.json`);
    rmSync(report, { force: true });
    const ok = await step(`tests: ${group.name}`, () =>
      runInherit(process.execPath, [
        bin("vitest", "vitest.mjs"),
        "run",
        ...group.projects.flatMap((project) => ["--project", project]),
        ...(group.filters ?? []),
        ...(group.exclude ?? []).flatMap((dir) => ["--exclude", `**/${dir}**`]),
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${report}`,
        ...args,
      ]),
    );
    results.push(ok);
    try {
      const counts = vitestJson.parse(JSON.parse(readFileSync(report, "utf8")));
      totals.passed += counts.numPassedTests;
      totals.failed += counts.numFailedTests;
      totals.skipped += counts.numPendingTests + (counts.numTodoTests ?? 0);
    } catch {
      // A run that wrote no report failed before its tests: count it as a failure.
      totals.failed += 1;
    }
  }

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const summary = `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
  const failedSteps = results.filter((ok) => !ok).length;
  say(
    `\nnpm test finished in ${minutes} min; ${failedSteps === 0 ? "every step passed" : `${failedSteps} step(s) failed`}.`,
  );
  say(`Tests: ${summary}`);
  return failedSteps === 0 ? 0 : 1;
}
