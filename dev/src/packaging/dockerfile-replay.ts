import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import {
  DockerfileParser,
  type Instruction,
  ModifiableInstruction,
  PropertyInstruction,
} from "dockerfile-ast";

/**
 * Replays a Dockerfile's build steps without a Docker engine: each stage gets a root folder of its own,
 * `COPY` copies from a build context that holds only what the repository would send (tracked files minus
 * `.dockerignore`), `RUN` runs with that stage's root standing in for `/`. What this proves is what a
 * build needs from the context and the registries; what it cannot prove (the base image's own contents,
 * apt, users) is left to the real build.
 */

export interface Stage {
  name: string;
  /** The image or earlier stage this one starts from. */
  from: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** Global `ARG` defaults, before the first `FROM`. */
  args: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === "FROM") {
      const parts = instruction.getArguments().map((a) => a.getValue());
      const from = expand(parts[0] ?? "", args);
      const name = parts[1]?.toUpperCase() === "AS" ? (parts[2] ?? "") : `stage-${stages.length}`;
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0) {
      if (keyword === "ARG") {
        const [key, value] = splitAssignment(instruction.getArgumentsContent() ?? "");
        if (value !== undefined) args[key] = value;
      }
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

function flagsOf(instruction: Instruction): Map<string, string> {
  if (!(instruction instanceof ModifiableInstruction)) return new Map();
  return new Map(instruction.getFlags().map((f) => [f.getName(), f.getValue() ?? ""]));
}

function splitAssignment(text: string): [string, string | undefined] {
  const at = text.indexOf("=");
  if (at < 0) return [text.trim(), undefined];
  return [
    text.slice(0, at).trim(),
    text
      .slice(at + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1"),
  ];
}

export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const key = braced ?? bare ?? "";
      return vars[key] ?? whole;
    },
  );
}

/** The stages `target` needs, in file order: its `FROM` chain and every `COPY --from`. */
export function stagesFor(parsed: ParsedDockerfile, target: string): Stage[] {
  const byName = new Map(parsed.stages.map((s) => [s.name, s]));
  const needed = new Set<string>();
  const visit = (name: string) => {
    const stage = byName.get(name);
    if (!stage || needed.has(name)) return;
    needed.add(name);
    visit(stage.from);
    for (const instruction of stage.instructions) {
      if (instruction.getKeyword() !== "COPY") continue;
      const from = flagsOf(instruction).get("from");
      if (from) visit(from);
    }
  };
  if (!byName.has(target)) throw new Error(`Dockerfile has no stage named ${target}`);
  visit(target);
  return parsed.stages.filter((s) => needed.has(s.name));
}

/** A `.dockerignore` pattern as a path test (the subset Docker documents: `*`, `**`, leading `**`/). */
function ignoreMatcher(patterns: string[]): (rel: string) => boolean {
  const regexes = patterns.map((raw) => {
    const pattern = raw.replace(/^\/+|\/+$/g, "");
    let source = "";
    for (let i = 0; i < pattern.length; i += 1) {
      const ch = pattern[i] ?? "";
      if (ch === "*" && pattern[i + 1] === "*") {
        source += ".*";
        i += 1;
        if (pattern[i + 1] === "/") i += 1;
      } else if (ch === "*") source += "[^/]*";
      else if (ch === "?") source += "[^/]";
      else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    // A pattern names a file or a whole folder.
    return new RegExp(`^${source}(?:/.*)?$`);
  });
  return (rel) => regexes.some((r) => r.test(rel));
}

/**
 * The build context: files a clone of `repo` has (tracked and untracked-but-not-ignored), minus
 * `.dockerignore`, copied to `dest`. Answers how many files it holds.
 */
export function makeBuildContext(repo: string, dest: string): number {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repo,
    encoding: "utf8",
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const ignoreFile = path.join(repo, ".dockerignore");
  const patterns = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#") && !l.startsWith("!"))
    : [];
  const ignored = ignoreMatcher(patterns);
  let count = 0;
  for (const rel of listed.stdout.split("\0")) {
    if (!rel || ignored(rel) || !existsSync(path.join(repo, rel))) continue;
    mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    copyFileSync(path.join(repo, rel), path.join(dest, rel));
    count += 1;
  }
  return count;
}

export interface ReplayOptions {
  dockerfile: string;
  target: string;
  /** The build context (see makeBuildContext). */
  context: string;
  /** Where each stage's root folder goes. */
  workDir: string;
  /** Extra environment for every RUN (e.g. a PATH whose first `node` is the image's Node version). */
  env?: NodeJS.ProcessEnv;
  /** Overrides for build ARGs. */
  buildArgs?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ReplayedStage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  /** The final `CMD`, exec form, if any. */
  cmd?: string[];
}

/** Absolute paths inside the image, rewritten to live under the stage's root. */
function inRoot(root: string, imagePath: string): string {
  return path.join(root, imagePath);
}

function rewriteAbsolutePaths(command: string, root: string): string {
  // Only the prefixes a Dockerfile step may write to: the app folder and /usr/local.
  return command.replace(/(^|[\s"'=:])\/(app|usr\/local)(?=[/\s"']|$)/g, `$1${root}/$2`);
}

function runShell(command: string, cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void) {
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-ec", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-6000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) {
        log(`  ok (${((Date.now() - started) / 1000).toFixed(0)} s): ${command.slice(0, 120)}`);
        resolve();
      } else reject(new Error(`RUN ${command} exited ${code}\n${tail}`));
    });
  });
}

/**
 * Docker copies a folder's contents into the destination, and a file into a folder destination.
 * Between stages, hard links stand in for the copy (no step edits a file in place).
 */
function copyInto(source: string, dest: string, destIsDir: boolean, link: boolean, mode?: number) {
  if (!existsSync(source)) throw new Error(`COPY source not found: ${source}`);
  const isDir = statSync(source).isDirectory();
  const target = !isDir && destIsDir ? path.join(dest, path.basename(source)) : dest;
  mkdirSync(isDir ? target : path.dirname(target), { recursive: true });
  if (link) {
    const linked = spawnSync("cp", ["-al", isDir ? `${source}/.` : source, target], { encoding: "utf8" });
    if (linked.status !== 0) throw new Error(`COPY --from ${source}: ${linked.stderr}`);
  } else {
    cpSync(source, target, { recursive: true, verbatimSymlinks: true, force: true });
  }
  if (mode !== undefined) chmodSync(target, mode);
}

/** Builds `target` stage by stage; answers the final stage's root, workdir, env and CMD. */
export async function replayDockerfile(options: ReplayOptions): Promise<ReplayedStage> {
  const log = options.log ?? (() => {});
  const parsed = parseDockerfile(readFileSync(options.dockerfile, "utf8"));
  const globalArgs = { ...parsed.args, ...options.buildArgs };
  const done = new Map<string, ReplayedStage>();
  let last: ReplayedStage | undefined;
  for (const stage of stagesFor(parsed, options.target)) {
    const root = path.join(options.workDir, stage.name);
    const parent = done.get(stage.from);
    log(`stage ${stage.name} (from ${stage.from})`);
    if (parent) {
      // Hard links: a later stage that deletes files does not touch its parent's.
      mkdirSync(path.dirname(root), { recursive: true });
      const linked = spawnSync("cp", ["-al", parent.root, root]);
      if (linked.status !== 0) throw new Error(`could not copy stage ${parent.name}: ${linked.stderr}`);
    } else {
      mkdirSync(root, { recursive: true });
    }
    const current: ReplayedStage = {
      name: stage.name,
      root,
      workdir: parent?.workdir ?? "/",
      env: { ...(parent?.env ?? {}) },
    };
    const vars: Record<string, string> = { ...globalArgs };
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const content = instruction.getArgumentsContent() ?? "";
      switch (keyword) {
        case "ARG": {
          const [key, value] = splitAssignment(content);
          vars[key] = globalArgs[key] ?? value ?? vars[key] ?? "";
          break;
        }
        case "ENV":
          if (!(instruction instanceof PropertyInstruction)) break;
          for (const property of instruction.getProperties()) {
            current.env[property.getName()] = expand(property.getValue() ?? "", { ...vars, ...current.env });
          }
          break;
        case "WORKDIR":
          current.workdir = path.posix.resolve(current.workdir, expand(content, vars));
          mkdirSync(inRoot(root, current.workdir), { recursive: true });
          break;
        case "COPY": {
          const values = instruction.getArguments().map((a) => expand(a.getValue(), vars));
          const flags = flagsOf(instruction);
          const destRaw = values.pop() ?? "";
          const dest = inRoot(root, path.posix.resolve(current.workdir, destRaw));
          const destIsDir = destRaw.endsWith("/") || destRaw === "." || values.length > 1;
          const fromStage = flags.get("from");
          const chmod = flags.get("chmod");
          for (const src of values) {
            let source: string;
            if (fromStage) {
              const other = done.get(fromStage);
              if (!other) throw new Error(`COPY --from=${fromStage}: stage not built`);
              source = inRoot(other.root, path.posix.resolve(other.workdir, src));
            } else {
              source = path.join(options.context, src);
            }
            copyInto(
              source,
              dest,
              destIsDir,
              Boolean(fromStage),
              chmod ? Number.parseInt(chmod, 8) : undefined,
            );
          }
          break;
        }
        case "RUN": {
          const command = rewriteAbsolutePaths(expand(content, vars), root);
          const usrLocal = inRoot(root, "/usr/local");
          mkdirSync(path.join(usrLocal, "bin"), { recursive: true });
          const env: NodeJS.ProcessEnv = {
            ...process.env,
            ...options.env,
            ...current.env,
            npm_config_prefix: usrLocal,
            PATH: [path.join(usrLocal, "bin"), options.env?.PATH ?? process.env.PATH ?? ""].join(
              path.delimiter,
            ),
          };
          await runShell(command, inRoot(root, current.workdir), env, log);
          break;
        }
        case "CMD": {
          const parsedCmd = JSON.parse(content) as unknown;
          if (Array.isArray(parsedCmd) && parsedCmd.every((x) => typeof x === "string"))
            current.cmd = parsedCmd;
          break;
        }
        default:
          // USER, EXPOSE, HEALTHCHECK, STOPSIGNAL, SHELL, ENTRYPOINT, LABEL: nothing to replay.
          break;
      }
    }
    done.set(stage.name, current);
    last = current;
  }
  if (!last) throw new Error(`nothing to build for ${options.target}`);
  return last;
}

/** Bytes under `dir`, each hard-linked file counted once (du's own rule). */
export function diskUsage(dir: string): number {
  const du = spawnSync("du", ["-sb", dir], { encoding: "utf8" });
  if (du.status !== 0) throw new Error(`du failed: ${du.stderr}`);
  return Number.parseInt(du.stdout.split(/\s/)[0] ?? "0", 10);
}
