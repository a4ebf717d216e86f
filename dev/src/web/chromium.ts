import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { createInterface } from "node:readline";

/** Debian's Chromium: what the browser tests drive through playwright-core (which downloads no browser). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags that keep a headless Chromium from reaching out to any host (this network refuses them all). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export const CHROMIUM_HINT =
  `The browser tests need Chromium at ${CHROMIUM_PATH}. Install it with: sudo apt-get install chromium ` +
  "(Debian/Ubuntu), then run the tests again.";

export function findChromium(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return CHROMIUM_PATH;
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        if (line.trim()) log(line);
      });
    }
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/**
 * Chromium for the browser tests, installed from Debian's packages when it is missing and we may do so
 * without asking anyone (root on Debian/Ubuntu), as the tooling does for redis-server; otherwise an error
 * that names the package.
 */
export async function ensureChromium(log: (message: string) => void): Promise<string> {
  const found = findChromium();
  if (found) return found;
  if (process.getuid?.() !== 0 || !existsSync("/etc/debian_version")) throw new Error(CHROMIUM_HINT);
  log("chromium not found; installing Debian's chromium package with apt-get");
  try {
    await run("apt-get", ["update"], log);
    await run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], log);
  } catch (err) {
    throw new Error(
      `${CHROMIUM_HINT} (automatic install failed: ${err instanceof Error ? err.message : err})`,
    );
  }
  const installed = findChromium();
  if (!installed) throw new Error(`${CHROMIUM_HINT} (apt-get reported success but no binary was found)`);
  return installed;
}
