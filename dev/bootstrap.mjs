#!/usr/bin/env node
// Entry point of every root npm script. It needs nothing but Node and npm: it fetches the pinned
// pnpm when missing, installs the workspace, then hands over to the TypeScript tooling in dev/src/cli.ts.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const PNPM_VERSION = "12.4.2";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 3)) {
  console.error(`Inkwell needs Node.js 20.3 or newer; this is ${process.version}.`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// The command that runs pnpm from `dir/node_modules/pnpm`, read from the package's own `bin` field
// rather than a file name inside it (pnpm 12 moved from `bin/pnpm.cjs` to a native binary with a
// JavaScript wrapper). JavaScript entries run with this Node; anything else is executed directly.
function pnpmFrom(dir) {
  const pkgDir = path.join(dir, "node_modules/pnpm");
  const manifest = path.join(pkgDir, "package.json");
  if (!existsSync(manifest)) return undefined;
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(manifest, "utf8"));
  } catch {
    return undefined;
  }
  if (pkg.version !== PNPM_VERSION) return undefined;
  const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.pnpm;
  if (typeof bin !== "string") return undefined;
  const entry = path.join(pkgDir, bin);
  if (!existsSync(entry)) return undefined;
  const command = /\.[cm]?js$/.test(entry) ? [process.execPath, [entry]] : [entry, []];
  const probe = spawnSync(command[0], [...command[1], "--version"], { encoding: "utf8" });
  return probe.status === 0 && probe.stdout.trim() === PNPM_VERSION ? command : undefined;
}

// pnpm always comes from the project's own .tools/, never from PATH: a fresh machine has none, and a
// global one of another version would install differently.
function pnpmCommand() {
  const tools = path.join(root, ".tools");
  const existing = pnpmFrom(tools);
  if (existing) return existing;
  console.log(`Fetching pnpm ${PNPM_VERSION} into .tools/ …`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const status = run(npm, [
    "install",
    "--prefix",
    tools,
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    `pnpm@${PNPM_VERSION}`,
  ]);
  const fetched = status === 0 ? pnpmFrom(tools) : undefined;
  if (!fetched) {
    console.error(
      `Could not install pnpm ${PNPM_VERSION} with npm (npm exited ${status}` +
        `${status === 0 ? ", but .tools/node_modules/pnpm has no working pnpm" : ""}).`,
    );
    process.exit(1);
  }
  return fetched;
}

const [command = "help", ...rest] = process.argv.slice(2);
const [pnpm, pnpmArgs] = pnpmCommand();
const frozen = existsSync(path.join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : [];
console.log("Installing dependencies (pnpm install) …");
const installed = run(pnpm, [...pnpmArgs, "install", ...frozen, "--reporter=append-only"], {
  env: { ...process.env, CI: process.env.CI ?? "" },
});
if (installed !== 0) {
  console.error("pnpm install failed; see the messages above.");
  process.exit(installed);
}

const tsx = pathToFileURL(path.join(root, "node_modules/tsx/dist/loader.mjs")).href;
const child = spawn(
  process.execPath,
  ["--import", tsx, path.join(root, "dev/src/cli.ts"), command, ...rest],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, INKWELL_PNPM: JSON.stringify([pnpm, ...pnpmArgs]) },
  },
);
// The tooling owns shutdown (it stops every service it started); pass signals on and wait for it.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
