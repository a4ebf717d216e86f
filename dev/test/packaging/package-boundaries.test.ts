import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// A package reaches another only through that package's `exports` (a workspace dependency), never by a
// relative path out of its own folder or into another package's node_modules: otherwise a package's
// dependencies are invisible to pnpm, to its build and to whoever moves a file.

const root = fileURLToPath(new URL("../../../", import.meta.url));
const workspace = parse(readFileSync(path.join(root, "pnpm-workspace.yaml"), "utf8")) as {
  packages: string[];
};
const packages = workspace.packages;

/**
 * Imports that leave their package today, as `file -> target` (both relative to the repository root).
 * models/eval is evaluation code that drives edge and inference-node internals; these entries move with
 * the evaluation code when it leaves `models`, and the list only ever shrinks.
 */
const EVALUATION_CODE_IN_MODELS = [
  "models/eval/classification.ts -> inference-node/src/analysis/entry-analysis.ts",
  "models/eval/classification.ts -> inference-node/src/runtime/onnx-backend.ts",
  "models/eval/crisis-eval.ts -> inference-node/src/analysis/safety-meaning.ts",
  "models/eval/crisis-head.ts -> inference-node/src/analysis/safety-entry-head.ts",
  "models/eval/crisis-head.ts -> inference-node/src/analysis/safety-meaning.ts",
  "models/eval/embedding-models.ts -> inference-node/src/runtime/onnx-backend.ts",
  "models/eval/keyword-rankings.ts -> dev/src/lib/ports.ts",
  "models/eval/keyword-rankings.ts -> dev/src/postgres/embedded.ts",
  "models/eval/keyword-rankings.ts -> dev/src/postgres/migrate.ts",
  "models/eval/keyword-rankings.ts -> edge/src/db/client.ts",
  "models/eval/keyword-rankings.ts -> edge/src/db/schema/index.ts",
  "models/eval/keyword-rankings.ts -> edge/src/services/keyword-search.ts",
  "models/eval/topic-journals.ts -> inference-node/src/topics/discover-topics.ts",
  "inference-node/test/topics/eval-set-topics.test.ts -> models/eval/embedding-models.ts",
  "inference-node/test/topics/eval-set-topics.test.ts -> models/eval/eval-set.ts",
  "inference-node/test/vectors/vector-search.test.ts -> models/eval/chunk-rankings.ts",
  "inference-node/test/vectors/vector-search.test.ts -> models/eval/embedding-models.ts",
  "inference-node/test/vectors/vector-search.test.ts -> models/eval/eval-set.ts",
  "dev/src/cli.ts -> models/eval/run.ts",
];

/**
 * The migrations folder sits at the repository root, written by drizzle-kit (edge/drizzle.config.ts) and
 * applied by dev; the edge reads its journal to know the schema version it was built for.
 */
const MIGRATIONS_JOURNAL = ["edge/src/db/schema-version.ts -> migrations/meta/_journal.json"];

const ALLOWED = new Set([...EVALUATION_CODE_IN_MODELS, ...MIGRATIONS_JOURNAL]);

const SKIPPED_DIRS = new Set(["node_modules", "dist", "coverage"]);
const SOURCE = /\.(ts|tsx|mts|mjs)$/;
// Static imports and re-exports (`from "x"`), side-effect imports (`import "x"`) and dynamic `import("x")`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (SOURCE.test(entry.name)) yield full;
  }
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(SPECIFIER)].map((match) => match[1] ?? "");
}

interface Scan {
  files: number;
  relativeImports: number;
  leaving: string[];
}

function scan(): Scan {
  const result: Scan = { files: 0, relativeImports: 0, leaving: [] };
  for (const pkg of packages) {
    const pkgDir = path.join(root, pkg);
    for (const file of sources(pkgDir)) {
      result.files++;
      const from = path.relative(root, file);
      for (const specifier of importsOf(file)) {
        if (specifier.includes("node_modules/")) {
          result.leaving.push(`${from} -> ${specifier}`);
          continue;
        }
        if (!specifier.startsWith(".")) continue;
        result.relativeImports++;
        const target = path.resolve(path.dirname(file), specifier);
        if (path.relative(pkgDir, target).startsWith("..")) {
          result.leaving.push(`${from} -> ${path.relative(root, target)}`);
        }
      }
    }
  }
  return result;
}

describe("package boundaries", () => {
  const found = scan();

  it("scans every workspace package's sources", () => {
    expect(packages).toEqual(
      expect.arrayContaining(["shared", "models", "edge", "inference-node", "dev", "web"]),
    );
    expect(found.files).toBeGreaterThan(300);
    expect(found.relativeImports).toBeGreaterThan(1000);
  });

  it("no relative import leaves its package, nor reaches into a node_modules folder", () => {
    const unexpected = found.leaving.filter((edge) => !ALLOWED.has(edge));
    expect(unexpected, "import it through the other package's `exports` and a workspace dependency").toEqual(
      [],
    );
  });

  it("the allow-list names only imports that still exist", () => {
    const stale = [...ALLOWED].filter((edge) => !found.leaving.includes(edge));
    expect(stale, "remove these entries: the import is gone").toEqual([]);
  });
});
