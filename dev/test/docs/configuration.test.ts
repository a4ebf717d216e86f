import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { envSchema as edgeSchema } from "@inkwell/edge/env";
import { envSchema as nodeSchema } from "@inkwell/inference-node/config";
import { describe, expect, it } from "vitest";
import { portsSchema } from "../../src/config.ts";
import { repoRoot } from "../../src/lib/paths.ts";

/**
 * docs/configuration.md against what the code reads: a variable documented but not read is a setting that
 * does nothing, and one read but not documented is a setting nobody can find.
 */

const doc = readFileSync(path.join(repoRoot, "docs/configuration.md"), "utf8");

/** The text of the `## ` section whose heading starts with `title`, up to the next `## ` heading. */
function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}`);
  if (start < 0) throw new Error(`docs/configuration.md has no "## ${title}" section`);
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Variable names in the first column of the section's tables: `NAME`, or several `A`, `B` in one cell. */
function documented(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n")) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? "";
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.push(match[1] ?? "");
  }
  return names;
}

const sorted = (names: Iterable<string>) => [...new Set(names)].sort();

/** Every .ts file under a folder, concatenated: where the tooling reads its variables. */
function sources(dir: string): string {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(sources(full));
    else if (entry.isFile() && entry.name.endsWith(".ts")) out.push(readFileSync(full, "utf8"));
  }
  return out.join("\n");
}

describe("docs/configuration.md", () => {
  it("documents exactly the edge's bindings and env schema", () => {
    const names = documented(section("Edge"));
    expect(names.length).toBeGreaterThan(0);
    expect(sorted(names)).toEqual(sorted(["HYPERDRIVE", ...Object.keys(edgeSchema.shape)]));
  });

  it("documents exactly the inference node's env schema", () => {
    const names = documented(section("Inference node"));
    expect(names.length).toBeGreaterThan(0);
    expect(sorted(names)).toEqual(sorted(Object.keys(nodeSchema.shape)));
  });

  it("documents every port of the local stack and only variables the tooling reads", () => {
    const names = documented(section("Local stack"));
    expect(names).toEqual(expect.arrayContaining(Object.keys(portsSchema.shape)));
    const tooling = [sources(path.join(repoRoot, "dev/src")), sources(path.join(repoRoot, "models/src"))];
    for (const name of names) {
      expect(
        tooling.some((text) => new RegExp(`\\b${name}\\b`).test(text)),
        `${name} is documented but dev/src and models/src never mention it`,
      ).toBe(true);
    }
  });

  it("documents every process.env variable the tooling reads", () => {
    const read = new Set<string>();
    for (const dir of ["dev/src", "models/src"]) {
      for (const match of sources(path.join(repoRoot, dir)).matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) {
        read.add(match[1] ?? "");
      }
    }
    // The shell's own variables, not Inkwell settings.
    for (const name of ["PATH", "CI", "HOME"]) read.delete(name);
    const all = new Set(documented(doc));
    expect(sorted([...read].filter((name) => !all.has(name)))).toEqual([]);
  });
});

describe(".dev.vars.example", () => {
  const example = readFileSync(path.join(repoRoot, ".dev.vars.example"), "utf8");
  const listed = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] ?? "");

  it("names only settings of the edge's schema", () => {
    for (const name of listed) expect(Object.keys(edgeSchema.shape), name).toContain(name);
  });

  it("names every setting the Worker cannot start without", () => {
    const required = Object.entries(edgeSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([name]) => name);
    expect(required.length).toBeGreaterThan(0);
    expect(sorted(listed)).toEqual(expect.arrayContaining(sorted(required)));
  });
});
