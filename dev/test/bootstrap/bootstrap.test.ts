import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/lib/paths.ts";

/**
 * The README promises that a machine with only Node and npm runs `npm test` and `npm run dev`. This
 * replays that: a copy of the repository as a clone would have it (no node_modules, no .tools/), a PATH
 * whose first `pnpm` fails the way a missing one does, and the bootstrap behind every root script.
 */

const PNPM_VERSION = JSON.parse(
  readFileSync(path.join(repoRoot, "package.json"), "utf8"),
).packageManager.replace(/^pnpm@/, "") as string;

let work: string;
let copy: string;
let shims: string;

/** Tracked files plus untracked ones git does not ignore: what a clone of this working tree holds. */
function copyWorkingTree(from: string, to: string): number {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: from,
    encoding: "utf8",
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  let count = 0;
  for (const rel of listed.stdout.split("\0")) {
    if (!rel || !existsSync(path.join(from, rel))) continue;
    mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
    copyFileSync(path.join(from, rel), path.join(to, rel));
    count += 1;
  }
  return count;
}

/** A shell environment as a new terminal has it: nothing inherited from the npm script running us. */
function freshEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|INKWELL_|PNPM_|VITEST|NODE_OPTIONS$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = `${shims}${path.delimiter}${process.env.PATH ?? ""}`;
  return env;
}

function runBootstrap(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["dev/bootstrap.mjs", ...args], {
      cwd: copy,
      env: freshEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "inkwell-bare-machine-"));
  copy = path.join(work, "repo");
  shims = path.join(work, "bin");
  mkdirSync(shims);
  const shim = path.join(shims, "pnpm");
  writeFileSync(shim, '#!/bin/sh\necho "pnpm: command not found" >&2\nexit 127\n');
  chmodSync(shim, 0o755);
  expect(copyWorkingTree(repoRoot, copy)).toBeGreaterThan(100);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the bootstrap on a machine with no pnpm", () => {
  it("a pnpm on PATH that fails is what the machine would have", () => {
    const probe = spawnSync("pnpm", ["--version"], { env: freshEnv(), encoding: "utf8" });
    expect(probe.status).toBe(127);
    expect(existsSync(path.join(copy, ".tools"))).toBe(false);
    expect(existsSync(path.join(copy, "node_modules"))).toBe(false);
  });

  it("fetches the pinned pnpm into .tools/, installs the workspace and hands over to the tooling", async () => {
    const { code, output } = await runBootstrap(["help"]);
    expect(output, output.slice(-3000)).toContain(`Fetching pnpm ${PNPM_VERSION}`);
    expect(code, output.slice(-3000)).toBe(0);
    const pnpmPackage = JSON.parse(
      readFileSync(path.join(copy, ".tools/node_modules/pnpm/package.json"), "utf8"),
    ) as { version: string };
    expect(pnpmPackage.version).toBe(PNPM_VERSION);
    // The workspace is installed: the tooling's own dependencies resolve from every package.
    for (const rel of ["node_modules/vitest/package.json", "dev/node_modules/zod/package.json"]) {
      expect(existsSync(path.join(copy, rel)), rel).toBe(true);
    }
    // The tooling ran: its usage lists both README commands.
    expect(output).toMatch(/dev\s+start the whole local stack/);
    expect(output).toMatch(/test\s+lint, type-check/);
  }, 300_000);

  it("a second run reuses the fetched pnpm instead of fetching it again", async () => {
    const { code, output } = await runBootstrap(["help"]);
    expect(code, output.slice(-3000)).toBe(0);
    expect(output).not.toContain("Fetching pnpm");
  }, 300_000);
});
