import { accessSync, constants, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in dev/src/lib). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const dataRoot = path.join(repoRoot, ".data");

/** True when every directory above `dir` lets other users through (needed for the postgres user). */
export function traversableByOthers(dir: string): boolean {
  let current = path.resolve(dir);
  for (;;) {
    try {
      const mode = statSync(current).mode;
      if ((mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: its parent decides.
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The folder of an installed package, found from `fromDir` (works for packages whose exports hide package.json). */
export function packageDir(pkg: string, fromDir: string): string {
  const require = createRequire(path.join(fromDir, "noop.js"));
  const paths = require.resolve.paths(pkg) ?? [];
  for (const base of paths) {
    const candidate = path.join(base, pkg);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
  }
  throw new Error(
    `The package ${pkg} is not installed (looked from ${fromDir}); run npm test or npm run dev to install.`,
  );
}
