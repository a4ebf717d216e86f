import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const webDir = path.dirname(fileURLToPath(import.meta.url));
export const webDistDir = path.join(webDir, "dist");
const stampFile = path.join(webDistDir, ".build-stamp");

/**
 * Served on every asset answer by the Worker's static assets (`_headers`). No inline script or style,
 * nothing from another origin: the app talks to its own origin's API only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

const HEADERS = `/*
  Content-Security-Policy: ${CONTENT_SECURITY_POLICY}
  X-Content-Type-Options: nosniff
  X-Frame-Options: DENY
  Referrer-Policy: no-referrer
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Resource-Policy: same-origin
  Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()
/assets/*
  Cache-Control: public, max-age=31536000, immutable
/index.html
  Cache-Control: no-cache
`;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]))
    .sort();
}

/** A digest of everything the bundle is made from: an unchanged tree is not built again. */
function sourceDigest(): string {
  const hash = createHash("sha256");
  const inputs = [
    ...filesUnder(path.join(webDir, "src")),
    path.join(webDir, "index.html"),
    path.join(webDir, "build.ts"),
    path.join(webDir, "package.json"),
    // The typed client the app calls the API through is bundled from the edge's sources.
    path.join(webDir, "..", "edge", "src", "client.ts"),
  ];
  for (const file of inputs) {
    hash.update(path.relative(webDir, file));
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

export interface WebBuildResult {
  built: boolean;
  /** Bytes of the JavaScript and CSS the first page load fetches (uncompressed). */
  bytes: number;
}

function bundleBytes(): number {
  return filesUnder(path.join(webDistDir, "assets")).reduce((sum, file) => sum + statSync(file).size, 0);
}

/** Builds `web/dist/` (what wrangler.toml's `[assets]` serves) unless it is current. Offline, ~1 s. */
export async function buildWeb(options: { force?: boolean } = {}): Promise<WebBuildResult> {
  const digest = sourceDigest();
  if (!options.force && existsSync(stampFile) && readFileSync(stampFile, "utf8") === digest) {
    return { built: false, bytes: bundleBytes() };
  }
  rmSync(webDistDir, { recursive: true, force: true });
  mkdirSync(path.join(webDistDir, "assets"), { recursive: true });
  const result = await build({
    entryPoints: { app: path.join(webDir, "src", "main.tsx") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    outdir: path.join(webDistDir, "assets"),
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    jsx: "automatic",
    jsxImportSource: "preact",
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const js = outputs.find((f) => f.endsWith(".js"));
  const css = outputs.find((f) => f.endsWith(".css"));
  if (!js) throw new Error("The web build produced no script.");
  const html = readFileSync(path.join(webDir, "index.html"), "utf8")
    .replace("%SCRIPT%", `/assets/${js}`)
    .replace("%STYLE%", css ? `/assets/${css}` : "");
  writeFileSync(path.join(webDistDir, "index.html"), html);
  writeFileSync(path.join(webDistDir, "_headers"), HEADERS);
  writeFileSync(stampFile, digest);
  return { built: true, bytes: bundleBytes() };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const { built, bytes } = await buildWeb({ force: process.argv.includes("--force") });
  process.stdout.write(
    `web/dist ${built ? "built" : "is current"} (${(bytes / 1024).toFixed(1)} KiB of script and style, ${Date.now() - started} ms)\n`,
  );
}
