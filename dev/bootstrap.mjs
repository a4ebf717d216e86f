#!/usr/bin/env node
// Entry point of every root npm script. It needs nothing but Node and npm: it fetches the pinned
// pnpm when missing, installs the workspace, then hands over to the TypeScript tooling in dev/src/cli.ts.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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

function pnpmCommand() {
  const local = path.join(root, ".tools/node_modules/pnpm/bin/pnpm.cjs");
  if (existsSync(local)) return [process.execPath, [local]];
  const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return ["pnpm", []];
  console.log(`Fetching pnpm ${PNPM_VERSION} into .tools/ …`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const status = run(npm, [
    "install",
    "--prefix",
    path.join(root, ".tools"),
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    `pnpm@${PNPM_VERSION}`,
  ]);
  if (status !== 0 || !existsSync(local)) {
    console.error(`Could not install pnpm ${PNPM_VERSION} with npm (exit ${status}).`);
    process.exit(1);
  }
  return [process.execPath, [local]];
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
