import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deriveNodeToken, hashToken, nodeTokenSalt, uuidv7 } from "@inkwell/shared";
import { pino } from "pino";
import postgres from "postgres";
import { type RunningChroma, startChroma } from "./chroma/chroma.ts";
import { packageDir, repoRoot } from "./lib/paths.ts";
import { assertPortFree, freePort, releasePorts, waitForHttp, waitForPortFree } from "./lib/ports.ts";
import { ManagedProcess } from "./lib/process.ts";
import { startTcpRelay, type TcpRelay } from "./lib/tcp-relay.ts";
import { type RunningPostgres, startPostgres } from "./postgres/embedded.ts";
import { migrateDatabase } from "./postgres/migrate.ts";
import { type QStashServer, startQStashServer } from "./qstash/server.ts";
import { ensureRedisServer, type RunningRedis, startRedis } from "./redis/redis-server.ts";
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
  /** The node's private listener: /info and /metrics. */
  nodeAdmin: number;
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
  /** Extra Worker vars (tests shorten NODE_HEARTBEAT_TTL_SECONDS, benchmarks lift rate limits). */
  edgeVars?: Record<string, string>;
  /**
   * The edge reaches Postgres through a relay in the tooling that closes connections while Postgres is
   * down rather than refusing them, so the edge outlives a Postgres restart (the fault campaign).
   */
  edgeDatabaseRelay?: boolean;
}

export interface Stack {
  databaseUrl: string;
  redisUrl: string;
  redisRestUrl: string;
  qstashUrl: string;
  chromaUrl: string;
  edgeUrl: string;
  nodeUrl: string;
  /** The local node's /info and /metrics (its private listener). */
  nodeAdminUrl: string;
  /** Bindings and vars the Worker runs with. */
  edgeVars: Record<string, string>;
  /**
   * Registers and starts one more inference node (needs the edge and Chroma parts), on free ports unless
   * given some (a node restarted where it ran before, as a rebooted machine would be); with `publicUrl`
   * it is registered at and signs for that address (a proxy in front of it) instead of its own port.
   */
  startNode(
    name: string,
    env?: Record<string, string>,
    at?: { port: number; adminPort: number; publicUrl?: string },
  ): Promise<RunningNode>;
  /** Stops the QStash stand-in and starts it again on the same port and data (a crash and restart). */
  restartQStash(): Promise<void>;
  /**
   * Faults for the chaos campaign, each a crash and a restart on the same port and data: kill -9 of
   * redis-server (a test stack's Redis keeps nothing, as a crashed cache would), of Chroma and of the
   * edge (wrangler and its workerd); Postgres shut down (fast: every connection cut, open transactions
   * rolled back) and started again. Each resolves once the part answers again.
   */
  restartRedis(): Promise<void>;
  restartChroma(): Promise<void>;
  restartPostgres(): Promise<void>;
  restartEdge(): Promise<void>;
  /** Process ids of every running part (the soak measures their memory), by name. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

export interface RunningNode {
  id: string;
  name: string;
  url: string;
  /** Its private listener: /info and /metrics. */
  adminUrl: string;
  /** Graceful stop: a final draining heartbeat, then in-flight work finishes. */
  stop(): Promise<void>;
  /** SIGKILL: the node vanishes mid-work, as a crashed machine would. */
  kill(): Promise<void>;
  /** SIGSTOP: the node hangs (accepts connections, answers nothing) until killed. */
  freeze(): void;
  /** Its process id while it runs. */
  pid(): number | undefined;
}

const LOCAL = "127.0.0.1";

/** In-process services log to their own file beside the child processes' logs. */
function fileLogger(file: string, name: string): pino.Logger {
  mkdirSync(path.dirname(file), { recursive: true });
  return pino({ name, level: "info" }, pino.destination({ dest: file, append: true, sync: true }));
}

function resolveBin(pkg: string, relative: string, from: string): string {
  return path.join(packageDir(pkg, from), relative);
}

/**
 * Registers (or re-keys) a node the way the admin API does: a fresh salt, the token derived from
 * NODE_TOKEN_SECRET, and only the token's hash stored.
 */
async function registerNode(
  databaseUrl: string,
  name: string,
  nodeUrl: string,
  tokenSecret: string,
): Promise<{ id: string; token: string }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [existing] = await sql<{ id: string }[]>`select id from nodes where name = ${name}`;
    const id = existing?.id ?? uuidv7();
    const salt = nodeTokenSalt();
    const token = await deriveNodeToken(tokenSecret, id, salt);
    await sql`
      insert into nodes (id, name, url, token_hash, token_salt, status)
      values (${id}, ${name}, ${nodeUrl}, ${await hashToken(token)}, ${salt}, 'offline')
      on conflict (name) do update set url = excluded.url, token_hash = excluded.token_hash,
        token_salt = excluded.token_salt, updated_at = now()`;
    return { id, token };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export interface NodeOptions {
  name: string;
  port: number;
  /** NODE_ADMIN_PORT: where it serves /info and /metrics. */
  adminPort: number;
  /** The address it is registered at and signs for, when not its own port (a proxy in front of it). */
  publicUrl?: string;
  databaseUrl: string;
  edgeUrl: string;
  chromaUrl: string;
  secrets: StackSecrets;
  logDir: string;
  echo?: boolean;
  env?: Record<string, string>;
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** Registers an inference node with the edge's database and starts it; resolves once it answers /health. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  await assertPortFree(LOCAL, options.port, "NODE_PORT");
  await assertPortFree(LOCAL, options.adminPort, "NODE_ADMIN_PORT");
  const url = `http://${LOCAL}:${options.port}`;
  const { id, token } = await registerNode(
    options.databaseUrl,
    options.name,
    options.publicUrl ?? url,
    options.secrets.NODE_TOKEN_SECRET,
  );
  const logName = options.name === "local" ? "node" : `node-${options.name}`;
  const node = new ManagedProcess({
    name: logName,
    command: process.execPath,
    args: ["--import", "tsx", path.join(repoRoot, "inference-node/src/server.ts")],
    cwd: path.join(repoRoot, "inference-node"),
    env: {
      ...process.env,
      NODE_HOST: LOCAL,
      NODE_PORT: String(options.port),
      NODE_ADMIN_HOST: LOCAL,
      NODE_ADMIN_PORT: String(options.adminPort),
      NODE_PUBLIC_URL: options.publicUrl ?? url,
      EDGE_URL: options.edgeUrl,
      NODE_TOKEN: token,
      CHROMA_URL: options.chromaUrl,
      // The local Chroma has no token-checking proxy in front of it, which only development allows.
      ENVIRONMENT: "development",
      QSTASH_CURRENT_SIGNING_KEY: options.secrets.QSTASH_CURRENT_SIGNING_KEY,
      QSTASH_NEXT_SIGNING_KEY: options.secrets.QSTASH_NEXT_SIGNING_KEY,
      HEARTBEAT_INTERVAL_MS: "5000",
      ...options.env,
    },
    logFile: path.join(options.logDir, `${logName}.log`),
    echo: options.echo ?? false,
    ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
  }).start();
  try {
    await Promise.race([
      waitForHttp(`${url}/health`, { timeoutMs: 90_000 }),
      node.waitForExit().then(() => {
        throw new Error(`The inference node exited during start-up:\n${node.tail()}`);
      }),
    ]);
  } catch (err) {
    await node.stop();
    throw err;
  }
  return {
    id,
    name: options.name,
    url,
    adminUrl: `http://${LOCAL}:${options.adminPort}`,
    stop: () => node.stop(),
    kill: () => node.kill(),
    freeze: () => node.signal("SIGSTOP"),
    pid: () => (node.running ? node.pid : undefined),
  };
}

export interface EdgeOptions {
  port: number;
  vars: Record<string, string>;
  databaseUrl: string;
  dataDir: string;
  /** Distinguishes the files of a second Worker started beside the first (benchmarks). */
  name?: string;
  /**
   * Where wrangler serves the Worker's DevTools inspector; a free one by default. Left to itself, wrangler
   * takes 9229 when it looks free, so two edges starting at once both chose it and the second one's workerd
   * failed to bind it and exited.
   */
  inspectorPort?: number;
  echo?: boolean;
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** The Worker under `wrangler dev`, its Hyperdrive binding pointed at the given Postgres. */
export async function startEdge(
  options: EdgeOptions,
): Promise<{ url: string; stop(): Promise<void>; kill(): Promise<void>; pid(): number | undefined }> {
  const name = options.name ?? "edge";
  await assertPortFree(LOCAL, options.port, "EDGE_PORT");
  const inspectorPort = options.inspectorPort ?? (await freePort(LOCAL));
  const releaseInspector = () => {
    if (options.inspectorPort === undefined) releasePorts([inspectorPort]);
  };
  const envFile = path.join(options.dataDir, `${name}.env`);
  writeFileSync(envFile, formatDotenv(options.vars, "Generated by the local stack on each start."), {
    mode: 0o600,
  });
  const edge = new ManagedProcess({
    name,
    command: process.execPath,
    args: [
      resolveBin("wrangler", "bin/wrangler.js", repoRoot),
      "dev",
      "--config",
      path.join(repoRoot, "wrangler.toml"),
      "--ip",
      LOCAL,
      "--port",
      String(options.port),
      "--inspector-port",
      String(inspectorPort),
      "--env-file",
      envFile,
      "--persist-to",
      path.join(options.dataDir, `${name}-state`),
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
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: options.databaseUrl,
      NO_COLOR: "1",
    },
    logFile: path.join(options.dataDir, "logs", `${name}.log`),
    echo: options.echo ?? false,
    ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
  }).start();
  const url = `http://${LOCAL}:${options.port}`;
  try {
    await Promise.race([
      waitForHttp(`${url}/health`, { timeoutMs: 90_000 }),
      edge.waitForExit().then(() => {
        throw new Error(`The edge (wrangler dev) exited during start-up:\n${edge.tail()}`);
      }),
    ]);
  } catch (err) {
    await edge.stop();
    releaseInspector();
    throw err;
  }
  return {
    url,
    stop: async () => {
      await edge.stop();
      releaseInspector();
    },
    kill: async () => {
      await edge.kill();
      releaseInspector();
    },
    pid: () => (edge.running ? edge.pid : undefined),
  };
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

  let qstashServer: QStashServer | undefined;
  // The parts the restart hooks replace; each stopper below stops whichever one runs at the time.
  let pgServer: RunningPostgres | undefined;
  let redisServer: RunningRedis | undefined;
  let chromaServer: RunningChroma | undefined;
  let edgeServer: Awaited<ReturnType<typeof startEdge>> | undefined;
  const nodes: RunningNode[] = [];
  const launchRedis = () =>
    startRedis({
      port: ports.redis,
      dataDir: path.join(dataDir, "redis"),
      logFile: path.join(logDir, "redis.log"),
      // Upstash keeps what it acknowledged: a local Redis that forgot its keys on a restart would let an
      // Idempotency-Key retried across the restart run twice, which production never does. Throwaway
      // stacks persist too (into their own temporary folder), so a killed Redis comes back with its keys.
      persist: true,
      onUnexpectedExit: crashed("redis"),
    });
  const launchChroma = () =>
    startChroma({
      port: ports.chroma,
      dataDir: path.join(dataDir, "chroma"),
      logFile: path.join(logDir, "chroma.log"),
      onUnexpectedExit: crashed("chroma"),
    });
  let databaseRelay: TcpRelay | undefined;
  const edgeDatabaseUrl = async () => {
    if (!options.edgeDatabaseRelay) return stack.databaseUrl;
    const url = new URL(stack.databaseUrl);
    if (!databaseRelay) {
      const relay = await startTcpRelay(url.hostname, Number(url.port));
      databaseRelay = relay;
      stoppers.push({ name: "postgres-relay", stop: relay.close });
    }
    url.port = String(databaseRelay.port);
    return url.toString();
  };
  const launchEdge = async () =>
    startEdge({
      port: ports.edge,
      vars: stack.edgeVars,
      databaseUrl: await edgeDatabaseUrl(),
      dataDir,
      echo: options.echo ?? false,
      onUnexpectedExit: crashed("edge"),
    });
  const notStarted = (part: string) => new Error(`the stack did not start ${part}`);
  const launchQStash = () =>
    startQStashServer({
      port: ports.qstash,
      token: secrets.QSTASH_TOKEN,
      currentSigningKey: secrets.QSTASH_CURRENT_SIGNING_KEY,
      nextSigningKey: secrets.QSTASH_NEXT_SIGNING_KEY,
      dataDir: path.join(dataDir, "qstash"),
      logger: fileLogger(path.join(logDir, "qstash.log"), "qstash-local"),
    });

  const stack: Stack = {
    databaseUrl: options.databaseUrl ?? "",
    redisUrl: "",
    redisRestUrl: "",
    qstashUrl: "",
    chromaUrl: "",
    edgeUrl: "",
    nodeUrl: "",
    nodeAdminUrl: "",
    edgeVars: {},
    startNode: async (name, env, at) => {
      if (!stack.edgeUrl || !stack.chromaUrl) throw new Error("startNode needs the edge and chroma parts");
      // Ports picked here are given back once the node has stopped; ones the caller chose stay its own.
      const picked: number[] = [];
      const pick = async () => {
        const port = await freePort();
        picked.push(port);
        return port;
      };
      let node: RunningNode;
      try {
        node = await startNode({
          name,
          port: at?.port ?? (await pick()),
          adminPort: at?.adminPort ?? (await pick()),
          ...(at?.publicUrl ? { publicUrl: at.publicUrl } : {}),
          databaseUrl: stack.databaseUrl,
          edgeUrl: stack.edgeUrl,
          chromaUrl: stack.chromaUrl,
          secrets,
          logDir,
          echo: options.echo ?? false,
          ...(env ? { env } : {}),
        });
      } catch (err) {
        releasePorts(picked);
        throw err;
      }
      stoppers.push({
        name: `node-${name}`,
        stop: async () => {
          await node.stop();
          releasePorts(picked);
        },
      });
      nodes.push(node);
      return node;
    },
    restartQStash: async () => {
      await qstashServer?.close();
      qstashServer = await launchQStash();
    },
    restartRedis: async () => {
      if (!redisServer) throw notStarted("redis");
      await redisServer.kill();
      await waitForPortFree(LOCAL, ports.redis);
      redisServer = await launchRedis();
    },
    restartChroma: async () => {
      if (!chromaServer) throw notStarted("chroma");
      await chromaServer.kill();
      await waitForPortFree(LOCAL, ports.chroma);
      chromaServer = await launchChroma();
    },
    restartPostgres: async () => {
      if (!pgServer) throw notStarted("postgres");
      await pgServer.restart();
    },
    restartEdge: async () => {
      if (!edgeServer) throw notStarted("edge");
      await edgeServer.kill();
      await waitForPortFree(LOCAL, ports.edge);
      edgeServer = await launchEdge();
    },
    pids: () => {
      const found: Record<string, number | undefined> = {
        postgres: pgServer?.pid(),
        redis: redisServer?.pid(),
        chroma: chromaServer?.pid(),
        edge: edgeServer?.pid(),
        // The QStash stand-in and the Upstash REST front run inside this process.
        tooling: process.pid,
        ...Object.fromEntries(nodes.map((n) => [`node-${n.name}`, n.pid()])),
      };
      return Object.fromEntries(
        Object.entries(found).filter((e): e is [string, number] => e[1] !== undefined),
      );
    },
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
        pgServer = pg;
        stoppers.push({ name: "postgres", stop: pg.stop });
        stack.databaseUrl = pg.url;
        log(`postgres   ready on ${LOCAL}:${ports.postgres}`);
      })(),
      (async () => {
        if (!parts.has("redis")) return;
        await ensureRedisServer(log);
        const redis = await launchRedis();
        redisServer = redis;
        stoppers.push({ name: "redis", stop: async () => await redisServer?.stop() });
        stack.redisUrl = redis.url;
        const restLog = fileLogger(path.join(logDir, "upstash-rest.log"), "upstash-rest");
        const rest = await startUpstashRestServer({
          port: ports.redisRest,
          token: secrets.UPSTASH_REDIS_REST_TOKEN,
          redisUrl: redis.url,
          logger: {
            info: (msg: string) => restLog.info(msg),
            warn: (msg: string) => restLog.warn(msg),
            error: (msg: string) => restLog.error(msg),
          },
        });
        stoppers.push({ name: "upstash-rest", stop: rest.close });
        stack.redisRestUrl = rest.url;
        log(`redis      ready on ${LOCAL}:${ports.redis} (Upstash REST front on ${rest.url})`);
      })(),
      (async () => {
        if (!parts.has("qstash")) return;
        await assertPortFree(LOCAL, ports.qstash, "QSTASH_PORT");
        const qstash = await launchQStash();
        qstashServer = qstash;
        // The current server, which restartQStash may have replaced.
        stoppers.push({ name: "qstash", stop: async () => await qstashServer?.close() });
        stack.qstashUrl = qstash.url;
        log(`qstash     ready on ${qstash.url}`);
      })(),
      (async () => {
        if (!parts.has("chroma")) return;
        const chroma = await launchChroma();
        chromaServer = chroma;
        stoppers.push({ name: "chroma", stop: async () => await chromaServer?.stop() });
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
    stack.nodeAdminUrl = `http://${LOCAL}:${ports.nodeAdmin}`;
    stack.edgeVars = {
      ENVIRONMENT: options.persistent ? "development" : "test",
      JWT_SECRET: secrets.JWT_SECRET,
      PASSWORD_PEPPER: secrets.PASSWORD_PEPPER,
      DATA_ROOT_KEYS: secrets.DATA_ROOT_KEYS,
      UPSTASH_REDIS_REST_URL: stack.redisRestUrl,
      UPSTASH_REDIS_REST_TOKEN: secrets.UPSTASH_REDIS_REST_TOKEN,
      QSTASH_URL: stack.qstashUrl,
      QSTASH_TOKEN: secrets.QSTASH_TOKEN,
      QSTASH_CURRENT_SIGNING_KEY: secrets.QSTASH_CURRENT_SIGNING_KEY,
      QSTASH_NEXT_SIGNING_KEY: secrets.QSTASH_NEXT_SIGNING_KEY,
      EDGE_PUBLIC_URL: stack.edgeUrl,
      NODE_TOKEN_SECRET: secrets.NODE_TOKEN_SECRET,
      // Test suites share two cores with everything they start: a slow limiter or a slow new Postgres
      // connection there is load, not an outage.
      ...(options.persistent ? {} : { RATE_LIMIT_TIMEOUT_MS: "15000", DB_CONNECT_TIMEOUT_SECONDS: "30" }),
      ...options.edgeVars,
    };

    if (parts.has("edge")) {
      edgeServer = await launchEdge();
      stoppers.push({ name: "edge", stop: async () => await edgeServer?.stop() });
      log(`edge       ready on ${stack.edgeUrl}`);
    }

    if (parts.has("node")) {
      const node = await startNode({
        name: "local",
        port: ports.node,
        adminPort: ports.nodeAdmin,
        databaseUrl: stack.databaseUrl,
        edgeUrl: stack.edgeUrl,
        chromaUrl: stack.chromaUrl,
        secrets,
        logDir,
        echo: options.echo ?? false,
        onUnexpectedExit: crashed("node"),
      });
      stoppers.push({ name: "node", stop: node.stop });
      nodes.push(node);
      log(`node       ready on ${stack.nodeUrl}`);
    }
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
