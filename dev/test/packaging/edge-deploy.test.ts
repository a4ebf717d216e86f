import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { envSchema, parseEnv } from "@inkwell/edge/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { repoRoot } from "../../src/lib/paths.ts";

/**
 * The path from this repository to a deployed Worker, short of the upload: `wrangler deploy --dry-run`
 * bundles the edge exactly as a deploy would (offline: no account, no network), and wrangler.toml's
 * environments are checked against the Worker's own configuration schema and docs/deploy.md.
 */

/**
 * Workers' limit on a Worker's size after compression: 3 MB on the Free plan, 10 MB on Paid. Checked
 * against the Free plan's, the stricter, so the bundle deploys on either (docs/deploy.md explains why
 * production still needs Paid: CPU time per sign-in).
 */
const FREE_PLAN_COMPRESSED_LIMIT = 3_000_000;
/** And before compression, on every plan. */
const UNCOMPRESSED_LIMIT = 64 * 1024 * 1024;

const wrangler = path.join(repoRoot, "node_modules/.bin/wrangler");
const environments = ["staging", "production"] as const;

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrangler, args, {
      cwd: repoRoot,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        NO_COLOR: "1",
        // A dry run needs no account; none may leak in from the machine running the tests.
        CLOUDFLARE_API_TOKEN: "",
        CLOUDFLARE_ACCOUNT_ID: "",
      },
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

/** `wrangler secret put NAME` lines of the deploy guide: the secrets an operator is told to set. */
function documentedSecrets(): Set<string> {
  const guide = readFileSync(path.join(repoRoot, "docs/deploy.md"), "utf8");
  return new Set([...guide.matchAll(/wrangler secret put ([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] ?? ""));
}

let outdir: string;
let dryRun: { code: number | null; output: string };

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), "inkwell-edge-bundle-"));
  dryRun = await run(["deploy", "--dry-run", "--outdir", outdir, "--env", "production"]);
}, 180_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe("wrangler deploy --dry-run --env production", () => {
  it("bundles the Worker", () => {
    expect(dryRun.code, dryRun.output).toBe(0);
    expect(dryRun.output).toContain("--dry-run: exiting now.");
    expect(readdirSync(outdir)).toContain("index.js");
  });

  it("fits the Workers size limit (Free plan: 3 MB compressed)", () => {
    // What is uploaded: the modules, not the source map or wrangler's README.
    const modules = readdirSync(outdir).filter((f) => !f.endsWith(".map") && f !== "README.md");
    expect(modules).toContain("index.js");
    let raw = 0;
    let compressed = 0;
    for (const file of modules) {
      const bytes = readFileSync(path.join(outdir, file));
      raw += statSync(path.join(outdir, file)).size;
      compressed += gzipSync(bytes, { level: 9 }).length;
    }
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    process.stdout.write(
      `[edge bundle] ${modules.join(", ")}: ${kib(raw)}, gzip ${kib(compressed)} ` +
        `(Free plan limit ${FREE_PLAN_COMPRESSED_LIMIT / 1e6} MB compressed; Paid 10 MB)\n`,
    );
    expect(raw).toBeLessThan(UNCOMPRESSED_LIMIT);
    expect(compressed).toBeLessThan(FREE_PLAN_COMPRESSED_LIMIT);
  });
});

describe("wrangler.toml", () => {
  const secrets = documentedSecrets();
  const schemaNames = Object.keys(envSchema.shape);

  it("docs/deploy.md tells the operator to put every secret, and only names the Worker reads", () => {
    expect(secrets.size).toBeGreaterThan(0);
    expect([...secrets].filter((name) => !schemaNames.includes(name))).toEqual([]);
  });

  for (const environment of environments) {
    describe(`[env.${environment}]`, () => {
      const config = unstable_readConfig({ config: path.join(repoRoot, "wrangler.toml"), env: environment });
      const vars = config.vars as Record<string, string>;

      it("names every var the Worker reads; the rest are the documented secrets, never vars", () => {
        const missing = schemaNames.filter((name) => !(name in vars) && !secrets.has(name));
        const secretAsVar = Object.keys(vars).filter((name) => secrets.has(name));
        const unknown = Object.keys(vars).filter((name) => !schemaNames.includes(name));
        expect({ missing, secretAsVar, unknown }).toEqual({ missing: [], secretAsVar: [], unknown: [] });
      });

      it("passes the Worker's configuration check once the secrets are put", () => {
        const secretValues = Object.fromEntries(
          [...secrets]
            // Put only while rotating, together with a raised version.
            .filter((s) => s !== "JWT_PREVIOUS_SECRET" && s !== "PASSWORD_PREVIOUS_PEPPER")
            // DATA_ROOT_KEYS is versioned: `v1:<base64 of 32 random bytes>`, as docs/deploy.md shows.
            .map((s) => [
              s,
              s === "DATA_ROOT_KEYS"
                ? `v1:${randomBytes(32).toString("base64")}`
                : randomBytes(32).toString("hex"),
            ]),
        );
        const result = parseEnv({
          ...vars,
          ...secretValues,
          HYPERDRIVE: { connectionString: "postgres://inkwell@db.example:5432/inkwell" },
        });
        expect(result.ok ? [] : result.problems).toEqual([]);
        expect(vars.ENVIRONMENT).toBe("production");
        expect(new URL(vars.EDGE_PUBLIC_URL ?? "").protocol).toBe("https:");
      });

      it("binds Hyperdrive as HYPERDRIVE, keeps the crons and the compatibility settings", () => {
        const top = unstable_readConfig({ config: path.join(repoRoot, "wrangler.toml") });
        expect(config.hyperdrive.map((h: { binding: string }) => h.binding)).toEqual(["HYPERDRIVE"]);
        expect(config.triggers.crons).toEqual(top.triggers.crons);
        expect(config.compatibility_flags).toContain("nodejs_compat");
        expect(config.compatibility_date).toBe(top.compatibility_date);
      });
    });
  }

  it("staging and production are separate Workers", () => {
    const [staging, production] = environments.map(
      (env) => unstable_readConfig({ config: path.join(repoRoot, "wrangler.toml"), env }).name,
    );
    expect(staging).toBeTruthy();
    expect(staging).not.toBe(production);
  });

  it("the top level, which `npm run dev` and the edge tests use, still binds Hyperdrive", () => {
    const top = unstable_readConfig({ config: path.join(repoRoot, "wrangler.toml") });
    expect(top.hyperdrive.map((h: { binding: string }) => h.binding)).toEqual(["HYPERDRIVE"]);
    expect(top.main).toMatch(/edge\/src\/index\.ts$/);
  });
});
