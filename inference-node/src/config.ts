import { isIP } from "node:net";
import { hostname as machineHostname } from "node:os";
import { JOIN_SECRET_PREFIX } from "@inkwell/shared";
import { z } from "zod";

export const inferenceDevices = ["auto", "cpu", "cuda"] as const;
export type InferenceDevice = (typeof inferenceDevices)[number];

export const llmBackends = ["auto", "ollama", "llama-cpp", "none"] as const;
export type LlmBackendChoice = (typeof llmBackends)[number];

/** As on the edge: `production` unless told otherwise, so a forgotten variable errs on the safe side. */
export const environments = ["development", "test", "production"] as const;
export type Environment = (typeof environments)[number];

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** QStash signing keys are ~32 random characters; anything much shorter is a placeholder or a typo. */
const MIN_SECRET_LENGTH = 16;
/** Catches "aaaaaaaaaaaaaaaa" and "1234512345123451"-style fillers that pass the length check. */
const MIN_DISTINCT_CHARACTERS = 8;

const secret = () =>
  z
    .string({ error: "is required" })
    .min(MIN_SECRET_LENGTH, `is too weak: use at least ${MIN_SECRET_LENGTH} characters`)
    .refine(
      (value) => new Set(value).size >= MIN_DISTINCT_CHARACTERS,
      `is too weak: use at least ${MIN_DISTINCT_CHARACTERS} different characters`,
    );

const httpUrl = () => z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" });

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`);

const modelId = () =>
  z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "must be a model id from models/manifest.json");

/** Every variable the node reads; deploy/home/node.env.example is tested against it. */
export const envSchema = z.object({
  ENVIRONMENT: z
    .enum(environments, { error: `must be one of ${environments.join(", ")}` })
    .default("production"),
  NODE_HOST: z.string().min(1).default("127.0.0.1"),
  NODE_PORT: integer(0, 65535).default(8788),
  /** /info and /metrics are served only here: loopback by default, never on the public URL. */
  NODE_ADMIN_HOST: z.string().min(1).default("127.0.0.1"),
  NODE_ADMIN_PORT: integer(0, 65535).default(9464),
  NODE_PUBLIC_URL: httpUrl().optional(),
  QSTASH_CURRENT_SIGNING_KEY: secret(),
  QSTASH_NEXT_SIGNING_KEY: secret(),
  EDGE_URL: httpUrl().optional(),
  NODE_TOKEN: secret().optional(),
  NODE_JOIN_SECRET: secret()
    .refine((value) => value.startsWith(JOIN_SECRET_PREFIX), {
      error: `must be a join secret from POST /v1/admin/join-secrets (it starts with ${JOIN_SECRET_PREFIX})`,
    })
    .optional(),
  NODE_NAME: z
    .string()
    .regex(
      /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/,
      "must be letters, digits, dot, dash and underscore (at most 63)",
    )
    .optional(),
  CHROMA_URL: httpUrl().optional(),
  CHROMA_TOKEN: secret().optional(),
  HEARTBEAT_INTERVAL_MS: integer(100, 600_000).default(5000),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(", ")}` }).default("info"),
  INFERENCE_DEVICE: z
    .enum(inferenceDevices, { error: `must be one of ${inferenceDevices.join(", ")}` })
    .default("auto"),
  MODELS_DIR: z.string().min(1).optional(),
  PULLED_MODELS_DIR: z.string().min(1).optional(),
  EMBEDDING_MODEL: modelId().optional(),
  SENTIMENT_MODEL: modelId().optional(),
  EMOTION_MODEL: modelId().optional(),
  BATCH_MAX_SIZE: integer(1, 512).default(32),
  BATCH_MAX_TOKENS: integer(64, 1_048_576).default(16_384),
  BATCH_MAX_WAIT_MS: integer(0, 1000).default(2),
  QUEUE_CAPACITY: integer(1, 1_000_000).default(1024),
  LLM_BACKEND: z.enum(llmBackends, { error: `must be one of ${llmBackends.join(", ")}` }).default("auto"),
  OLLAMA_URL: httpUrl().optional(),
  OLLAMA_MODEL: z.string().min(1).default("llama3.2:3b"),
  LLAMA_GGUF_PATH: z.string().min(1).optional(),
  LLM_CONTEXT_SIZE: integer(256, 131_072).default(4096),
  LLM_PARALLEL: integer(1, 16).default(1),
  LLM_THREADS: integer(1, 256).optional(),
  LLM_TIMEOUT_MS: integer(1000, 3_600_000).default(120_000),
});

const envKeys = Object.keys(envSchema.shape) as (keyof z.input<typeof envSchema>)[];

export interface Config {
  environment: Environment;
  host: string;
  port: number;
  /**
   * The private listener for operators and Prometheus (/info, /metrics): what the node runs, on which
   * hardware, and its load are nobody else's business, so the public listener answers 404 for them.
   */
  admin: { host: string; port: number };
  /** Base URL QStash delivers to; signatures are bound to it, so it must match what the edge publishes. */
  publicUrl: string;
  /** True when NODE_PUBLIC_URL was derived from host and port rather than set. */
  publicUrlDerived: boolean;
  qstash: { currentSigningKey: string; nextSigningKey: string };
  /** Present only when both EDGE_URL and NODE_TOKEN are set: the node then heartbeats to the edge. */
  edge: { url: string; token: string } | undefined;
  /**
   * Present when EDGE_URL and NODE_JOIN_SECRET are set: the node enrolls at start-up and gets its own id
   * and token (`withEnrollment` fills `edge` and `nodeToken` in), so one env file starts any number of replicas.
   */
  enrollment: { edgeUrl: string; joinSecret: string; name: string } | undefined;
  chromaUrl: string | undefined;
  /** Sent as x-chroma-token to CHROMA_URL (a token-checking proxy in front of Chroma, or Chroma Cloud). */
  chromaToken: string | undefined;
  heartbeatIntervalMs: number;
  logLevel: LogLevel;
  inferenceDevice: InferenceDevice;
  /** The edge signs interactive requests with a key derived from this; without it they are all refused. */
  nodeToken: string | undefined;
  models: {
    /** The built-in models (read-only in the images); undefined means the models package's default. */
    dir: string | undefined;
    /** Pulled models (a writable volume in the images), searched before `dir`; undefined: `dir` only. */
    pulledDir: string | undefined;
    /** Pin a task to one model instead of the tier's best; every node of a deployment should embed alike. */
    pins: { embedding?: string; sentiment?: string; emotion?: string };
  };
  batching: { maxBatchSize: number; maxBatchTokens: number; maxWaitMs: number; queueCapacity: number };
  /** Chat generation: Ollama over HTTP or llama.cpp in-process; `auto` takes whichever is usable at boot. */
  llm: {
    backend: LlmBackendChoice;
    ollamaUrl: string | undefined;
    ollamaModel: string;
    /** A GGUF file; without one the models folder's GGUF from the manifest is used when present. */
    ggufPath: string | undefined;
    contextSize: number;
    parallel: number;
    threads: number | undefined;
    /** Longest a single answer may stream before the node cuts it off. */
    timeoutMs: number;
  };
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Thrown by `loadConfig`; its message lists every bad variable (names only, never values). */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      [
        "Invalid inference node configuration:",
        ...problems.map((p) => `  - ${p.variable}: ${p.message}`),
      ].join("\n"),
    );
    this.name = "ConfigError";
    this.problems = problems;
  }

  get variables(): string[] {
    return [...new Set(this.problems.map((p) => p.variable))];
  }
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function stripTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, "");
}

/** A host name as a node name and a URL label: lower case, anything else a dash, at most 63 characters. */
export function replicaName(hostname: string): string {
  const cleaned = hostname
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63);
  return cleaned || "node";
}

/**
 * `{hostname}` in NODE_PUBLIC_URL stands for the replica's name (NODE_NAME, else the machine's host name),
 * so replicas started from one env file each give their own URL: `https://{hostname}.nodes.example.com`.
 */
const HOSTNAME_PLACEHOLDER = "{hostname}";

export function loadConfig(env: NodeJS.ProcessEnv, machine: { hostname?: string } = {}): Config {
  // `FOO=` in an env file or compose file means "not set", not "set to the empty string".
  const input: Record<string, string> = {};
  for (const key of envKeys) {
    const value = env[key]?.trim();
    if (value) input[key] = value;
  }
  const name = input.NODE_NAME ?? replicaName(machine.hostname ?? machineHostname());
  if (input.NODE_PUBLIC_URL?.includes(HOSTNAME_PLACEHOLDER)) {
    input.NODE_PUBLIC_URL = input.NODE_PUBLIC_URL.replaceAll(
      HOSTNAME_PLACEHOLDER,
      // A DNS label: no dots or underscores.
      replicaName(name).replace(/[._]+/g, "-"),
    );
  }

  const parsed = envSchema.safeParse(input);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? "environment"),
        message: issue.message,
      }));
  // Checked by hand rather than with a refinement so it is reported together with the other problems.
  if (
    input.EDGE_URL !== undefined &&
    input.NODE_TOKEN === undefined &&
    input.NODE_JOIN_SECRET === undefined
  ) {
    problems.push({
      variable: "NODE_TOKEN",
      message:
        "is required when EDGE_URL is set (the edge rejects heartbeats without it), unless NODE_JOIN_SECRET is set",
    });
  }
  if (input.NODE_TOKEN !== undefined && input.NODE_JOIN_SECRET !== undefined) {
    problems.push({
      variable: "NODE_JOIN_SECRET",
      message: "cannot be set together with NODE_TOKEN: a node either was registered or enrolls itself",
    });
  }
  if (input.NODE_JOIN_SECRET !== undefined && input.EDGE_URL === undefined) {
    problems.push({ variable: "EDGE_URL", message: "is required when NODE_JOIN_SECRET is set" });
  }
  if (
    parsed.success &&
    parsed.data.NODE_ADMIN_PORT !== 0 &&
    parsed.data.NODE_ADMIN_PORT === parsed.data.NODE_PORT
  ) {
    problems.push({
      variable: "NODE_ADMIN_PORT",
      message: "must differ from NODE_PORT: /info and /metrics get a listener of their own",
    });
  }
  if (input.CHROMA_TOKEN !== undefined && input.CHROMA_URL === undefined) {
    problems.push({ variable: "CHROMA_URL", message: "is required when CHROMA_TOKEN is set" });
  }
  // Chroma checks no credentials of its own: whoever reaches it reads and rewrites every journal's vectors.
  // Outside development it must sit behind a token-checking proxy on a private network.
  const environment = parsed.success ? parsed.data.ENVIRONMENT : input.ENVIRONMENT;
  if (
    input.CHROMA_URL !== undefined &&
    input.CHROMA_TOKEN === undefined &&
    !problems.some((problem) => problem.variable === "CHROMA_URL") &&
    environment !== "development" &&
    environment !== "test"
  ) {
    problems.push({
      variable: "CHROMA_TOKEN",
      message:
        "is required when CHROMA_URL is set outside development (put Chroma behind a token-checking proxy on a private network, as deploy/home/ does)",
    });
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const e = parsed.data;
  const publicUrl = e.NODE_PUBLIC_URL ?? `http://${hostForUrl(e.NODE_HOST)}:${e.NODE_PORT}`;
  return {
    environment: e.ENVIRONMENT,
    host: e.NODE_HOST,
    port: e.NODE_PORT,
    admin: { host: e.NODE_ADMIN_HOST, port: e.NODE_ADMIN_PORT },
    publicUrl: stripTrailingSlashes(publicUrl),
    publicUrlDerived: e.NODE_PUBLIC_URL === undefined,
    qstash: { currentSigningKey: e.QSTASH_CURRENT_SIGNING_KEY, nextSigningKey: e.QSTASH_NEXT_SIGNING_KEY },
    edge:
      e.EDGE_URL !== undefined && e.NODE_TOKEN !== undefined
        ? { url: stripTrailingSlashes(e.EDGE_URL), token: e.NODE_TOKEN }
        : undefined,
    enrollment:
      e.EDGE_URL !== undefined && e.NODE_JOIN_SECRET !== undefined
        ? { edgeUrl: stripTrailingSlashes(e.EDGE_URL), joinSecret: e.NODE_JOIN_SECRET, name }
        : undefined,
    chromaUrl: e.CHROMA_URL,
    chromaToken: e.CHROMA_TOKEN,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    inferenceDevice: e.INFERENCE_DEVICE,
    nodeToken: e.NODE_TOKEN,
    models: {
      dir: e.MODELS_DIR,
      pulledDir: e.PULLED_MODELS_DIR,
      pins: {
        ...(e.EMBEDDING_MODEL ? { embedding: e.EMBEDDING_MODEL } : {}),
        ...(e.SENTIMENT_MODEL ? { sentiment: e.SENTIMENT_MODEL } : {}),
        ...(e.EMOTION_MODEL ? { emotion: e.EMOTION_MODEL } : {}),
      },
    },
    batching: {
      maxBatchSize: e.BATCH_MAX_SIZE,
      maxBatchTokens: e.BATCH_MAX_TOKENS,
      maxWaitMs: e.BATCH_MAX_WAIT_MS,
      queueCapacity: e.QUEUE_CAPACITY,
    },
    llm: {
      backend: e.LLM_BACKEND,
      ollamaUrl: e.OLLAMA_URL === undefined ? undefined : stripTrailingSlashes(e.OLLAMA_URL),
      ollamaModel: e.OLLAMA_MODEL,
      ggufPath: e.LLAMA_GGUF_PATH,
      contextSize: e.LLM_CONTEXT_SIZE,
      parallel: e.LLM_PARALLEL,
      threads: e.LLM_THREADS,
      timeoutMs: e.LLM_TIMEOUT_MS,
    },
  };
}

/** The configuration once the node has enrolled: it heartbeats and verifies the edge with its own token. */
export function withEnrollment(config: Config, token: string): Config {
  if (!config.enrollment) return config;
  return { ...config, edge: { url: config.enrollment.edgeUrl, token }, nodeToken: token };
}
