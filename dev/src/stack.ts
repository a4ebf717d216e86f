import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { hashToken, randomToken, uuidv7 } from "@inkwell/shared";
import postgres from "postgres";
import { startChroma } from "./chroma/chroma.ts";
import { packageDir, repoRoot } from "./lib/paths.ts";
import { assertPortFree, waitForHttp } from "./lib/ports.ts";
import { ManagedProcess } from "./lib/process.ts";
import { startPostgres } from "./postgres/embedded.ts";
import { migrateDatabase } from "./postgres/migrate.ts";
import { startQStashServer } from "./qstash/server.ts";
import { ensureRedisServer, startRedis } from "./redis/redis-server.ts";
import { startUpstashRestServer } from "./redis/upstash-rest-server.ts";
import { formatDotenv, type StackSecrets } from "./secrets.ts";

export interface StackPorts {
  postgres: number;
  redis: number;
  redisRest: number;
  qstash: number;
  chroma: number;
  edge: number;
  node: number;
}

export type StackPart = "postgres" | "redis" | "qstash" | "chroma" | "edge" | "node";

export interface StackOptions {
  /** Everything the stack writes (databases, logs, persisted messages) goes under here. */
  dataDir: string;
  ports: StackPorts;
  secrets: StackSecrets;
  /** Keep data between runs (npm run dev) or throw it away (tests). */
  persistent: boolean;
  /** Which parts to start; dependencies of a part are started with it. */
  parts?: StackPart[];
  /** Use this Postgres instead of starting one. */
  databaseUrl?: string;
  /** Print each service's output, prefixed with its name. */
  echo?: boolean;
  log: (message: string) => void;
  /** A child that dies on its own; the caller decides whether to stop everything. */
  onCrash?: (service: string, detail: string) => void;
}

export interface Stack {
  databaseUrl: string;
  redisUrl: string;
  redisRestUrl: string;
  qstashUrl: string;
  chromaUrl: string;
  edgeUrl: string;
  nodeUrl: string;
  /** Bindings and vars the Worker runs with. */
  edgeVars: Record<string, string>;
  stop(): Promise<void>;
}

const LOCAL = "127.0.0.1";

function resolveBin(pkg: string, relative: string, from: string): string {
  return path.join(packageDir(pkg, from), relative);
}

/** Registers (or re-keys) the local node, the way an operator would through the admin API. */
async function registerLocalNode(databaseUrl: string, nodeUrl: string): Promise<string> {
  const token = `nt_${randomToken(32)}`;
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`
      insert into nodes (id, name, url, token_hash, status)
      values (${uuidv7()}, 'local', ${nodeUrl}, ${await hashToken(token)}, 'offline')
      on conflict (name) do update set url = excluded.url, token_hash = excluded.token_hash, updated_at = now()`;
  } finally {
    await sql.end({ timeout: 2 });
  }
  return token;
}

/**
 * Starts the local stack: real Postgres, Redis behind an Upstash REST front, the QStash stand-in,
 * Chroma, the Worker under wrangler dev and one inference node. Stops whatever started if a later
 * step fails, so a failed start leaves nothing running.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { ports, secrets, log, dataDir } = options;
  const parts = new Set<StackPart>(
    options.parts ?? ["postgres", "redis", "qstash", "chroma", "edge", "node"],
  );
  if (parts.has("node")) {
    parts.add("edge");
    parts.add("chroma");
  }
  if (parts.has("edge")) {
    parts.add("postgres");
    parts.add("redis");
    parts.add("qstash");
  }
  mkdirSync(dataDir, { recursive: true });
  const logDir = path.join(dataDir, "logs");
  const stoppers: { name: string; stop: () => Promise<void> }[] = [];
  const crashed = (service: string) => (code: number | null, signal: NodeJS.Signals | null) => {
    const detail = `exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); see ${path.join(logDir, `${service}.log`)}`;
    options.onCrash?.(service, detail);
  };
  const stopAll = async () => {
    // Reverse start order: the node and the edge go before the services they use.
    for (const { name, stop } of stoppers.splice(0).reverse()) {
      const started = Date.now();
      try {
        await stop();
      } catch (err) {
        log(`could not stop ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (options.echo) log(`${name} stopped in ${Date.now() - started} ms`);
    }
  };

  const stack: Stack = {
    databaseUrl: options.databaseUrl ?? "",
    redisUrl: "",
    redisRestUrl: "",
    qstashUrl: "",
    chromaUrl: "",
    edgeUrl: "",
    nodeUrl: "",
    edgeVars: {},
    stop: stopAll,
  };

  try {
    // Independent services start together; every start is awaited, even after one fails, so that
    // nothing comes up after the clean-up below has run.
    const settled = await Promise.allSettled([
      (async () => {
        if (!parts.has("postgres") || options.databaseUrl) return;
        const pg = await startPostgres({
          port: ports.postgres,
          dataDir: path.join(dataDir, "postgres"),
          persistent: options.persistent,
          log: () => {},
        });
        stoppers.push({ name: "postgres", stop: pg.stop });
        stack.databaseUrl = pg.url;
        log(`postgres   ready on ${LOCAL}:${ports.postgres}`);
      })(),
      (async () => {
        if (!parts.has("redis")) return;
        await ensureRedisServer(log);
        const redis = await startRedis({
          port: ports.redis,
          dataDir: path.join(dataDir, "redis"),
          logFile: path.join(logDir, "redis.log"),
          persist: options.persistent,
          onUnexpectedExit: crashed("redis"),
        });
        stoppers.push({ name: "redis", stop: redis.stop });
        stack.redisUrl = redis.url;
        const rest = await startUpstashRestServer({
          port: ports.redisRest,
          token: secrets.UPSTASH_REDIS_REST_TOKEN,
          redisUrl: redis.url,
        });
        stoppers.push({ name: "upstash-rest", stop: rest.close });
        stack.redisRestUrl = rest.url;
        log(`redis      ready on ${LOCAL}:${ports.redis} (Upstash REST front on ${rest.url})`);
      })(),
      (async () => {
        if (!parts.has("qstash")) return;
        await assertPortFree(LOCAL, ports.qstash, "QSTASH_PORT");
        const qstash = await startQStashServer({
          port: ports.qstash,
          token: secrets.QSTASH_TOKEN,
          currentSigningKey: secrets.QSTASH_CURRENT_SIGNING_KEY,
          nextSigningKey: secrets.QSTASH_NEXT_SIGNING_KEY,
          dataDir: path.join(dataDir, "qstash"),
        });
        stoppers.push({ name: "qstash", stop: qstash.close });
        stack.qstashUrl = qstash.url;
        log(`qstash     ready on ${qstash.url}`);
      })(),
      (async () => {
        if (!parts.has("chroma")) return;
        const chroma = await startChroma({
          port: ports.chroma,
          dataDir: path.join(dataDir, "chroma"),
          logFile: path.join(logDir, "chroma.log"),
          onUnexpectedExit: crashed("chroma"),
        });
        stoppers.push({ name: "chroma", stop: chroma.stop });
        stack.chromaUrl = chroma.url;
        log(`chroma     ready on ${chroma.url}`);
      })(),
    ]);
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) throw failed.reason;

    if (stack.databaseUrl) {
      await migrateDatabase(stack.databaseUrl);
      log("migrations applied");
    }

    stack.edgeUrl = `http://${LOCAL}:${ports.edge}`;
    stack.nodeUrl = `http://${LOCAL}:${ports.node}`;
    stack.edgeVars = {
      ENVIRONMENT: options.persistent ? "development" : "test",
      JWT_SECRET: secrets.JWT_SECRET,
      UPSTASH_REDIS_REST_URL: stack.redisRestUrl,
      UPSTASH_REDIS_REST_TOKEN: secrets.UPSTASH_REDIS_REST_TOKEN,
      QSTASH_URL: stack.qstashUrl,
      QSTASH_TOKEN: secrets.QSTASH_TOKEN,
      QSTASH_CURRENT_SIGNING_KEY: secrets.QSTASH_CURRENT_SIGNING_KEY,
      QSTASH_NEXT_SIGNING_KEY: secrets.QSTASH_NEXT_SIGNING_KEY,
      EDGE_PUBLIC_URL: stack.edgeUrl,
    };

    if (parts.has("edge")) {
      await assertPortFree(LOCAL, ports.edge, "EDGE_PORT");
      const envFile = path.join(dataDir, "edge.env");
      writeFileSync(envFile, formatDotenv(stack.edgeVars, "Generated by the local stack on each start."), {
        mode: 0o600,
      });
      const edge = new ManagedProcess({
        name: "edge",
        command: process.execPath,
        args: [
          resolveBin("wrangler", "bin/wrangler.js", repoRoot),
          "dev",
          "--config",
          path.join(repoRoot, "wrangler.toml"),
          "--ip",
          LOCAL,
          "--port",
          String(ports.edge),
          "--env-file",
          envFile,
          "--persist-to",
          path.join(dataDir, "wrangler"),
          "--test-scheduled",
          "--show-interactive-dev-session=false",
          "--log-level",
          "warn",
        ],
        cwd: repoRoot,
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: "false",
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
          CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: stack.databaseUrl,
          NO_COLOR: "1",
        },
        logFile: path.join(logDir, "edge.log"),
        echo: options.echo ?? false,
        onUnexpectedExit: crashed("edge"),
      }).start();
      stoppers.push({ name: "edge", stop: () => edge.stop() });
      await Promise.race([
        waitForHttp(`${stack.edgeUrl}/health`, { timeoutMs: 90_000 }),
        edge.waitForExit().then(() => {
          throw new Error(`The edge (wrangler dev) exited during start-up:\n${edge.tail()}`);
        }),
      ]);
      log(`edge       ready on ${stack.edgeUrl}`);
    }

    if (parts.has("node")) {
      await assertPortFree(LOCAL, ports.node, "NODE_PORT");
      const nodeToken = await registerLocalNode(stack.databaseUrl, stack.nodeUrl);
      const node = new ManagedProcess({
        name: "node",
        command: process.execPath,
        args: ["--import", "tsx", path.join(repoRoot, "inference-node/src/server.ts")],
        cwd: path.join(repoRoot, "inference-node"),
        env: {
          ...process.env,
          NODE_HOST: LOCAL,
          NODE_PORT: String(ports.node),
          NODE_PUBLIC_URL: stack.nodeUrl,
          EDGE_URL: stack.edgeUrl,
          NODE_TOKEN: nodeToken,
          CHROMA_URL: stack.chromaUrl,
          QSTASH_CURRENT_SIGNING_KEY: secrets.QSTASH_CURRENT_SIGNING_KEY,
          QSTASH_NEXT_SIGNING_KEY: secrets.QSTASH_NEXT_SIGNING_KEY,
          HEARTBEAT_INTERVAL_MS: "5000",
        },
        logFile: path.join(logDir, "node.log"),
        echo: options.echo ?? false,
        onUnexpectedExit: crashed("node"),
      }).start();
      stoppers.push({ name: "node", stop: () => node.stop() });
      await Promise.race([
        waitForHttp(`${stack.nodeUrl}/health`, { timeoutMs: 60_000 }),
        node.waitForExit().then(() => {
          throw new Error(`The inference node exited during start-up:\n${node.tail()}`);
        }),
      ]);
      log(`node       ready on ${stack.nodeUrl}`);
    }
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
