import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/lib/paths.ts";

/**
 * The README and docs/ name files and link to each other's sections; code moves and headings change. Every
 * repository path they name in backticks must exist, and every relative link must reach a file and, with
 * `#anchor`, a heading of it.
 */

const pages = ["README.md", ...readdirSync(path.join(repoRoot, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);
const read = (file: string) => readFileSync(path.join(repoRoot, file), "utf8");

/** Text outside fenced code blocks: shell examples name paths inside images and containers. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const match of prose(text).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = (match[1] ?? "")
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    out.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return out;
}

const TOP_LEVEL = /^(edge|inference-node|shared|models|dev|docs|deploy|migrations|patches|\.ci)\//;
const ROOT_FILES = new Set([
  "wrangler.toml",
  "Dockerfile.node",
  "package.json",
  "pnpm-workspace.yaml",
  "vitest.config.ts",
  ".dev.vars.example",
]);
/** Paths that exist only once something is built or run (git-ignored). */
const GENERATED = [/^models\/build\//, /^models\/\.cache\//, /^deploy\/home\/node\.env$/];

describe.each(pages)("%s", (page) => {
  const text = read(page);

  it("names only repository paths that exist", () => {
    const missing: string[] = [];
    for (const match of prose(text).matchAll(/`([^`\s]+)`/g)) {
      const name = match[1] ?? "";
      if (!(TOP_LEVEL.test(name) || ROOT_FILES.has(name))) continue;
      if (/[<>{}*…]/.test(name) || GENERATED.some((re) => re.test(name))) continue;
      if (!existsSync(path.join(repoRoot, name))) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const match of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? "";
      if (/^[a-z]+:/.test(target)) continue;
      const [file = "", anchor] = target.split("#");
      const resolved =
        file === "" ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
      if (!existsSync(path.join(repoRoot, resolved))) {
        broken.push(target);
        continue;
      }
      if (anchor && resolved.endsWith(".md") && !anchors(read(resolved)).has(anchor)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });
});
