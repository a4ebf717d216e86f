import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { envSchema, loadConfig } from "@inkwell/inference-node/config";
import { nodeModelDirs } from "@inkwell/inference-node/runtime/model-dirs";
import { Copy, DockerfileParser, Env, From, type Instruction } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../src/lib/paths.ts";

/**
 * deploy/home/ checked against what it runs: the node's configuration schema, Dockerfile.node's stages,
 * and the paths the edge calls on a node. It needs no Docker engine: it reads the files the way
 * Compose and cloudflared would and checks that they agree with each other.
 */

const home = path.join(repoRoot, "deploy/home");
const read = (file: string) => readFileSync(path.join(home, file), "utf8");

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  profiles?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
  command?: string;
  deploy?: unknown;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { internal?: boolean } | null>;
}

// Compose resolves `<<:` merge keys; so must the parser.
const compose = parse(read("compose.yaml"), { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);
const nodeServices = services.filter(([, s]) => s.build?.dockerfile === "Dockerfile.node");

/** Names listed in the env example: `NAME=value` lines, and `# NAME=value` lines that keep a default. */
function envExample(text: string): { listed: Set<string>; active: Map<string, string> } {
  const listed = new Set<string>();
  const active = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match?.[2]) continue;
    listed.add(match[2]);
    if (!match[1]) active.set(match[2], match[3] ?? "");
  }
  return { listed, active };
}
const example = envExample(read("node.env.example"));

interface DockerStage {
  env: Record<string, string>;
  expose: number[];
  volumes: string[];
}

/** A stage's ENV (its own over its parents'), EXPOSE and VOLUME, following `FROM <earlier stage>`. */
function dockerStage(target: string): DockerStage {
  const instructions = DockerfileParser.parse(
    readFileSync(path.join(repoRoot, "Dockerfile.node"), "utf8"),
  ).getInstructions();
  const stages = new Map<string, DockerStage & { parent: string | null }>();
  let current: (DockerStage & { parent: string | null }) | undefined;
  for (const instruction of instructions) {
    if (instruction instanceof From) {
      current = { parent: instruction.getImageName(), env: {}, expose: [], volumes: [] };
      stages.set(instruction.getBuildStage() ?? `#${stages.size}`, current);
    } else if (current && instruction instanceof Env) {
      for (const p of instruction.getProperties()) current.env[p.getName()] = p.getValue() ?? "";
    } else if (current && instruction.getKeyword() === "EXPOSE") {
      current.expose.push(...instruction.getArguments().map((a) => Number.parseInt(a.getValue(), 10)));
    } else if (current && instruction.getKeyword() === "VOLUME") {
      const paths = instruction
        .getArguments()
        .map((a) => a.getValue().replace(/^\[?\s*"?|"?\s*,?\s*\]?$/g, ""));
      current.volumes.push(...paths.filter(Boolean));
    }
  }
  const stage = stages.get(target);
  if (!stage) throw new Error(`Dockerfile.node has no stage named ${target}`);
  const parent: DockerStage =
    stage.parent && stages.has(stage.parent)
      ? dockerStage(stage.parent)
      : { env: {}, expose: [], volumes: [] };
  return {
    env: { ...parent.env, ...stage.env },
    expose: stage.expose.length ? stage.expose : parent.expose,
    volumes: [...parent.volumes, ...stage.volumes],
  };
}

/** One stage's own instructions (not its parents'), for the final image stages, which start from base images. */
function stageInstructions(target: string): Instruction[] {
  const instructions = DockerfileParser.parse(
    readFileSync(path.join(repoRoot, "Dockerfile.node"), "utf8"),
  ).getInstructions();
  const start = instructions.findIndex((i) => i instanceof From && i.getBuildStage() === target);
  if (start < 0) throw new Error(`Dockerfile.node has no stage named ${target}`);
  const end = instructions.findIndex((i, n) => n > start && i instanceof From);
  return instructions.slice(start + 1, end < 0 ? undefined : end);
}

/** Variables an image sets for Node.js or the NVIDIA runtime rather than for the node's own configuration. */
const runtimeEnv = new Set([
  "NODE_ENV",
  "NODE_OPTIONS",
  "NVIDIA_VISIBLE_DEVICES",
  "NVIDIA_DRIVER_CAPABILITIES",
]);

const networksOf = (service: Service): string[] =>
  Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {});
const aliasesOn = (service: Service, network: string): string[] =>
  Array.isArray(service.networks) ? [] : (service.networks?.[network]?.aliases ?? []);

/** A strong random value in place of each empty secret, as an operator would fill them in. */
function filledIn(active: Map<string, string>): Record<string, string> {
  return Object.fromEntries(
    [...active].map(([name, value]) => [name, value || randomBytes(24).toString("base64url")]),
  );
}

/** What the edge calls on a node: every path its job kinds and interactive requests use. */
function edgePathsOnNode(): string[] {
  const files = [
    "services/job-dispatch.ts",
    "services/chat-llm.ts",
    "services/semantic-search.ts",
    "lib/node-client.ts",
  ];
  const paths = new Set<string>();
  for (const file of files) {
    const text = readFileSync(path.join(repoRoot, "edge/src", file), "utf8");
    for (const match of text.matchAll(/\bpath: "(\/[^"]+)"/g)) if (match[1]) paths.add(match[1]);
  }
  return [...paths];
}

describe("deploy/home/node.env.example", () => {
  const schemaNames = Object.keys(envSchema.shape);

  it("lists every variable the node reads, and no other", () => {
    const missing = schemaNames.filter((name) => !example.listed.has(name));
    const unknown = [...example.listed].filter((name) => !schemaNames.includes(name));
    expect({ missing, unknown }).toEqual({ missing: [], unknown: [] });
  });

  it("sets every variable the node requires, and what a node behind the tunnel needs", () => {
    const required = schemaNames.filter(
      (name) => !envSchema.shape[name as keyof typeof envSchema.shape].safeParse(undefined).success,
    );
    expect(required.length).toBeGreaterThan(0);
    for (const name of [...required, "NODE_PUBLIC_URL", "EDGE_URL", "NODE_TOKEN", "CHROMA_TOKEN"]) {
      expect(example.active.has(name), `${name} must be set (uncommented) in node.env.example`).toBe(true);
    }
  });

  it("ships no secret: every secret is left empty for the operator", () => {
    for (const name of [
      "QSTASH_CURRENT_SIGNING_KEY",
      "QSTASH_NEXT_SIGNING_KEY",
      "NODE_TOKEN",
      "CHROMA_TOKEN",
    ]) {
      expect(example.active.get(name), name).toBe("");
    }
  });

  it("gives a public URL on https and the default port, the only kind a published Worker calls", () => {
    const url = new URL(example.active.get("NODE_PUBLIC_URL") ?? "");
    expect(url.protocol).toBe("https:");
    expect(url.port).toBe("");
    expect(url.pathname).toBe("/");
  });
});

describe("deploy/home/compose.yaml", () => {
  it("runs exactly one node per profile, cpu and gpu, each built from a Dockerfile.node stage", () => {
    for (const [profile, target] of [
      ["cpu", "cpu"],
      ["gpu", "gpu"],
    ] as const) {
      const running = nodeServices.filter(([, s]) => s.profiles?.includes(profile));
      expect(running.map(([, s]) => s.build?.target)).toEqual([target]);
      expect(path.resolve(home, running[0]?.[1].build?.context ?? "")).toBe(repoRoot);
      expect(() => dockerStage(target)).not.toThrow();
    }
    // A node outside the profiles would start beside the chosen one, heartbeating the same identity.
    for (const [name, s] of nodeServices) expect(s.profiles?.length, name).toBeGreaterThan(0);
  });

  for (const [name, service] of nodeServices) {
    describe(name, () => {
      const stage = dockerStage(service.build?.target ?? "");
      // What the container sees: the image's ENV, then node.env, then the compose file's environment.
      const env = { ...stage.env, ...filledIn(example.active), ...service.environment };

      it("sets only variables the node knows", () => {
        const unknown = Object.keys(service.environment ?? {}).filter((k) => !(k in envSchema.shape));
        expect(unknown).toEqual([]);
        expect(service.env_file).toBe("node.env");
      });

      it("loads with the node's own configuration check", () => {
        const config = loadConfig(env);
        expect(config.host).toBe("0.0.0.0");
        expect(config.publicUrlDerived).toBe(false);
        expect(config.edge).toBeDefined();
        expect(config.chromaToken).toBeDefined();
      });

      it("listens on the port the image exposes, publishes it on loopback only, and the tunnel targets it", () => {
        const { port, admin } = loadConfig(env);
        expect(stage.expose).toEqual([port]);
        // The private listener (/info, /metrics) too, on loopback only; the tunnel never targets it.
        expect(admin.port).not.toBe(port);
        expect(service.ports).toEqual([`127.0.0.1:${port}:${port}`, `127.0.0.1:${admin.port}:${admin.port}`]);
        const ingress = tunnelIngress();
        for (const rule of ingress.slice(0, -1)) expect(new URL(rule.service).port).toBe(String(port));
      });

      it("is reachable by the tunnel under the name its ingress uses", () => {
        const target = new URL(tunnelIngress()[0]?.service ?? "").hostname;
        const shared = networksOf(service).filter((n) =>
          networksOf(compose.services.cloudflared ?? {}).includes(n),
        );
        expect(shared.length).toBeGreaterThan(0);
        expect(name === target || shared.some((n) => aliasesOn(service, n).includes(target))).toBe(true);
      });

      it("reaches Chroma only through the token-checking proxy", () => {
        const chromaUrl = new URL(loadConfig(env).chromaUrl ?? "");
        expect(chromaUrl.hostname).toBe("chroma-auth");
        expect(chromaUrl.port).toBe(/listen\s+(\d+);/.exec(read("chroma-auth/chroma.conf.template"))?.[1]);
        const proxy = compose.services["chroma-auth"] ?? {};
        expect(networksOf(service).filter((n) => networksOf(proxy).includes(n)).length).toBeGreaterThan(0);
        for (const network of networksOf(compose.services.chroma ?? {})) {
          expect(networksOf(service)).not.toContain(network);
        }
      });

      it("mounts a named volume at every VOLUME the image declares, so its data outlives the container", () => {
        const targets = (service.volumes ?? []).map((v) => v.split(":")[1]);
        for (const declared of stage.volumes) expect(targets, declared).toContain(declared);
      });

      it("mounts volumes only at paths the image or its settings name", () => {
        for (const volume of service.volumes ?? []) {
          const [source = "", target = ""] = volume.split(":");
          expect(Object.keys(compose.volumes ?? {}), `${source} is declared`).toContain(source);
          expect(
            [...Object.values(env), ...stage.volumes],
            `${target} is a path the image or node.env names`,
          ).toContain(target);
        }
      });

      it("keeps pulled models on a volume at PULLED_MODELS_DIR, searched before the built-in models it cannot hide", () => {
        const config = loadConfig(env);
        const pulled = stage.env.PULLED_MODELS_DIR ?? "";
        const builtIn = stage.env.MODELS_DIR ?? "";
        expect([pulled, builtIn]).toEqual(["/data/models", "/app/models"]);
        expect(service.volumes).toContain(`pulled-models:${pulled}`);
        for (const volume of service.volumes ?? []) {
          const target = volume.split(":")[1] ?? "";
          expect(`${builtIn}/`.startsWith(`${target}/`), `${target} would hide ${builtIn}`).toBe(false);
        }
        expect(nodeModelDirs(config.models)).toEqual([pulled, builtIn]);
      });
    });
  }

  it("runs a pinned Ollama in the gpu profile, its model store on a volume, and wires the GPU node to it", () => {
    const ollama = compose.services.ollama ?? {};
    expect(ollama.image).toMatch(/^ollama\/ollama:\d+\.\d+\.\d+$/);
    expect(ollama.profiles).toEqual(["gpu"]);
    // The official image keeps its models under /root/.ollama.
    expect(ollama.volumes).toEqual(["ollama-models:/root/.ollama"]);
    expect(ollama.ports).toBeUndefined();
    expect(ollama.healthcheck?.test).toEqual(["CMD", "ollama", "list"]);

    const gpu = nodeServices.find(([, s]) => s.build?.target === "gpu")?.[1] ?? {};
    const stage = dockerStage("gpu");
    const config = loadConfig({ ...stage.env, ...filledIn(example.active), ...gpu.environment });
    expect(config.llm.backend).toBe("ollama");
    const url = new URL(config.llm.ollamaUrl ?? "");
    expect([url.hostname, url.port]).toEqual(["ollama", "11434"]);
    // The image's own default names the same server, so `docker run` beside an `ollama` container works too.
    expect(stage.env.OLLAMA_URL).toBe(gpu.environment?.OLLAMA_URL);
    expect(networksOf(gpu).filter((n) => networksOf(ollama).includes(n)).length).toBeGreaterThan(0);
    // LLM_BACKEND=ollama refuses to start without an answering Ollama.
    expect(gpu.depends_on).toMatchObject({ ollama: { condition: "service_healthy" } });
    for (const service of [gpu, ollama]) {
      expect(service.deploy).toMatchObject({
        resources: { reservations: { devices: [{ driver: "nvidia", capabilities: ["gpu"] }] } },
      });
    }
  });

  it("keeps Chroma's data on a volume at the image's persist path, on a network of its own", () => {
    const chroma = compose.services.chroma ?? {};
    expect(chroma.image).toMatch(/^chromadb\/chroma:1\.\d+\.\d+$/);
    expect(chroma.volumes).toEqual(["chroma-data:/data"]);
    expect(chroma.ports).toBeUndefined();
    expect(networksOf(chroma)).toEqual(["chroma-private"]);
    expect(compose.networks?.["chroma-private"]?.internal).toBe(true);
    const members = services.filter(([, s]) => networksOf(s).includes("chroma-private")).map(([n]) => n);
    expect(members.sort()).toEqual(["chroma", "chroma-auth"]);
  });

  it("the proxy refuses a missing or wrong token and passes CHROMA_TOKEN from node.env, nothing else", () => {
    const template = read("chroma-auth/chroma.conf.template");
    expect(template).toContain('if ($http_x_chroma_token = "")');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder nginx's envsubst fills in
    expect(template).toContain('if ($http_x_chroma_token != "${CHROMA_TOKEN}")');
    expect(template).toContain("proxy_pass http://chroma:8000;");
    const proxy = compose.services["chroma-auth"] ?? {};
    expect(proxy.env_file).toBeUndefined();
    expect(Object.keys(proxy.environment ?? {})).toEqual(["CHROMA_TOKEN"]);
    expect(proxy.environment?.CHROMA_TOKEN).toMatch(/^\$\{CHROMA_TOKEN:\?/);
    expect(proxy.volumes).toContain(
      "./chroma-auth/chroma.conf.template:/etc/nginx/templates/default.conf.template:ro",
    );
  });

  it("publishes no port beyond loopback and declares every volume it uses", () => {
    for (const [name, s] of services) {
      for (const port of s.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
    const used = services.flatMap(([, s]) => (s.volumes ?? []).map((v) => v.split(":")[0] ?? ""));
    const named = used.filter((v) => !v.startsWith("."));
    expect(new Set(named)).toEqual(new Set(Object.keys(compose.volumes ?? {})));
  });
});

describe("Dockerfile.node's image stages", () => {
  for (const target of ["cpu", "gpu"]) {
    describe(target, () => {
      const stage = dockerStage(target);
      const own = stageInstructions(target);

      it("sets only variables the node's configuration schema knows (besides Node's and NVIDIA's own)", () => {
        const unknown = Object.keys(stage.env).filter((k) => !(k in envSchema.shape) && !runtimeEnv.has(k));
        expect(unknown).toEqual([]);
        // The image's values pass the node's own checks (with the two settings every node must be given).
        const signingKeys = { QSTASH_CURRENT_SIGNING_KEY: "", QSTASH_NEXT_SIGNING_KEY: "" };
        expect(() =>
          loadConfig({ ...stage.env, ...filledIn(new Map(Object.entries(signingKeys))) }),
        ).not.toThrow();
      });

      it("runs as the unprivileged node user, who owns the pulled models' folder but not the built-in models", () => {
        const users = own.filter((i) => i.getKeyword() === "USER").map((i) => i.getArgumentsContent());
        expect(users).toEqual(["node"]);
        const copies = own.filter((i): i is Copy => i instanceof Copy);
        const destination = (copy: Copy) => copy.getArguments().at(-1)?.getValue() ?? "";
        const chown = (copy: Copy) =>
          copy
            .getFlags()
            .find((f) => f.getName() === "chown")
            ?.getValue();
        const workdir = own.findLast((i) => i.getKeyword() === "WORKDIR")?.getArgumentsContent() ?? "/";
        const absolute = (dest: string) => path.posix.resolve(workdir, dest);
        const pulled = copies.filter((c) => absolute(destination(c)) === stage.env.PULLED_MODELS_DIR);
        expect(pulled.map(chown)).toEqual(["node:node"]);
        const builtIn = copies.filter((c) => absolute(destination(c)) === stage.env.MODELS_DIR);
        expect(builtIn.length).toBe(1);
        expect(builtIn.map(chown)).toEqual([undefined]);
        // Every COPY comes before USER, so it is the image, not the user, that decides ownership.
        const userAt = own.findIndex((i) => i.getKeyword() === "USER");
        for (const copy of copies) expect(own.indexOf(copy)).toBeLessThan(userAt);
      });
    });
  }
});

/** The shell lines of the Docker section of docs/inference-node.md, continuation lines joined, comments dropped. */
function documentedDockerLines(): string[][] {
  const doc = readFileSync(path.join(repoRoot, "docs/inference-node.md"), "utf8");
  const start = doc.indexOf("\n## Docker\n");
  if (start < 0) throw new Error('docs/inference-node.md has no "## Docker" section');
  const end = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  return blocks
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.startsWith("docker "))
    .map((line) => line.split(/\s+/));
}

/** `docker run` flags this test reads: -v, -e, --name, --network, --gpus; the image is the last word. */
function dockerRun(words: string[]) {
  const flags = { volumes: [] as string[], env: [] as string[], name: "", network: "", gpus: false };
  for (let i = 2; i < words.length - 1; i++) {
    const [flag, value = ""] = [words[i], words[i + 1]];
    if (flag === "-v") flags.volumes.push(value);
    else if (flag === "-e") flags.env.push(value);
    else if (flag === "--name") flags.name = value;
    else if (flag === "--network") flags.network = value;
    else if (flag === "--gpus") flags.gpus = true;
  }
  return { ...flags, image: words.at(-1) ?? "" };
}

describe("docs/inference-node.md's docker build and docker run lines", () => {
  const lines = documentedDockerLines();
  const builds = new Map(
    lines
      .filter((w) => w[1] === "build")
      .map((w) => [w[w.indexOf("-t") + 1] ?? "", w[w.indexOf("--target") + 1] ?? ""] as const),
  );
  const runs = lines.filter((w) => w[1] === "run").map(dockerRun);
  const nodeRuns = runs.filter((r) => builds.has(r.image));

  it("runs each image the lines above build, for both targets", () => {
    expect([...builds.values()].sort()).toEqual(["cpu", "gpu"]);
    expect(nodeRuns.map((r) => builds.get(r.image)).sort()).toEqual(["cpu", "gpu"]);
  });

  it("mounts the pulled models' volume at the image's PULLED_MODELS_DIR, never over MODELS_DIR", () => {
    for (const run of nodeRuns) {
      const stage = dockerStage(builds.get(run.image) ?? "");
      const targets = run.volumes.map((v) => v.split(":")[1] ?? "");
      expect(targets, run.image).toEqual([stage.env.PULLED_MODELS_DIR]);
      for (const target of targets) expect(`${stage.env.MODELS_DIR}/`.startsWith(`${target}/`)).toBe(false);
      for (const assignment of run.env)
        expect(envSchema.shape).toHaveProperty(assignment.split("=")[0] ?? "");
    }
  });

  it("starts the same pinned Ollama as compose.yaml, where the GPU image's OLLAMA_URL finds it", () => {
    const ollama = runs.find((r) => r.image.startsWith("ollama/ollama:"));
    expect(ollama?.image).toBe(compose.services.ollama?.image);
    expect(ollama?.volumes.map((v) => v.split(":")[1])).toEqual(
      compose.services.ollama?.volumes?.map((v) => v.split(":")[1]),
    );
    const gpuNode = nodeRuns.find((r) => builds.get(r.image) === "gpu");
    const url = new URL(dockerStage("gpu").env.OLLAMA_URL ?? "");
    expect(url.hostname).toBe(ollama?.name);
    expect(gpuNode?.network).toBeTruthy();
    expect(gpuNode?.network).toBe(ollama?.network);
    expect(lines.some((w) => w.join(" ") === `docker network create ${gpuNode?.network}`)).toBe(true);
    expect(gpuNode?.gpus && ollama?.gpus).toBe(true);
  });
});

interface IngressRule {
  hostname?: string;
  path?: string;
  service: string;
}
function tunnelIngress(): IngressRule[] {
  return (parse(read("cloudflared/config.yml")) as { ingress: IngressRule[] }).ingress;
}

describe("deploy/home/cloudflared/config.yml", () => {
  const tunnel = parse(read("cloudflared/config.yml")) as {
    "credentials-file": string;
    ingress: IngressRule[];
  };
  const cloudflared = compose.services.cloudflared ?? {};
  const routes = (requestPath: string): string => {
    const rule = tunnel.ingress.find((r) => r.path === undefined || new RegExp(r.path).test(requestPath));
    return rule?.service ?? "none";
  };
  const node = tunnel.ingress[0]?.service ?? "";

  it("routes only /jobs/* and /v1/* to the node and answers 404 to everything else", () => {
    expect(tunnel.ingress.at(-1)).toEqual({ service: "http_status:404" });
    for (const rule of tunnel.ingress.slice(0, -1)) {
      expect(["^/jobs/", "^/v1/"]).toContain(rule.path);
      expect(rule.service).toBe(node);
    }
    for (const p of ["/jobs/analyze-entry", "/v1/chat/stream", "/v1/embed"]) expect(routes(p), p).toBe(node);
    for (const p of ["/", "/health", "/info", "/metrics", "/jobsx", "/v1", "/x/jobs/analyze-entry"]) {
      expect(routes(p), p).toBe("http_status:404");
    }
  });

  it("carries every path the edge calls on a node", () => {
    const paths = edgePathsOnNode();
    expect(paths).toEqual(expect.arrayContaining(["/jobs/analyze-entry", "/v1/chat/stream"]));
    for (const p of paths) expect(routes(p), p).toBe(node);
  });

  it("is the file cloudflared runs with, its credentials mounted where the file says", () => {
    expect(cloudflared.image).toMatch(/^cloudflare\/cloudflared:\d{4}\.\d+\.\d+$/);
    expect(cloudflared.command).toMatch(/--config \/etc\/cloudflared\/config\.yml run$/);
    expect(cloudflared.volumes).toContain("./cloudflared/config.yml:/etc/cloudflared/config.yml:ro");
    expect(cloudflared.volumes).toContain(`./cloudflared/credentials.json:${tunnel["credentials-file"]}:ro`);
    expect(networksOf(cloudflared)).toEqual(["edge-facing"]);
  });
});
