import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { Command, Redis as IORedis, type RedisOptions } from "ioredis";
import { z } from "zod";
import { assertPortFree } from "../lib/ports.ts";

/**
 * A local stand-in for Upstash's Redis REST API, served over a real redis-server, so that production
 * code using `new Redis({ url, token })` from `@upstash/redis` runs unchanged in the dev stack.
 *
 * Protocol, as the official client (1.39) and Upstash's REST docs use it:
 * - `POST /` with a JSON array command, or the command in the path (`/set/k/v`, segments URL-encoded,
 *   a POST/PUT body appended as the last argument, then query parameters as `NAME value` pairs).
 * - `POST /pipeline` and `POST /multi-exec` with an array of commands, answered by an array of
 *   `{result}` / `{error}`.
 * - `POST /subscribe/<channel>…`, `/psubscribe/<pattern>…` as server-sent events (`Subscriber`).
 * - `Upstash-Encoding: base64`: every string in a result base64-encoded except a top-level "OK"
 *   (the client decodes "OK" literally and anything else with atob).
 * - `Upstash-Sync-Token` in every answer: the client echoes it back for read-your-writes; one local
 *   node always reads its own writes, so a counter is enough.
 * - Auth: `Authorization: Bearer <token>` or `?_token=`; a failure is 401 `{"error":"Unauthorized"}`.
 * - A failing single command is HTTP 400 `{"error":"ERR …"}`; a failing command inside a pipeline
 *   or transaction is `{error}` in its slot and the others still run.
 */

export interface RestLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface UpstashRestServerOptions {
  host?: string;
  port: number;
  token: string;
  redisUrl: string;
  logger?: RestLogger;
  /** Largest request body accepted; Upstash's own limit is plan-dependent, this is generous for dev. */
  maxBodyBytes?: number;
}

export interface RunningUpstashRestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

// Commands refused because they would break a stateless, shared-connection HTTP front rather than
// because Upstash lacks them:
const DENIED: Record<string, string> = {
  // Take over the connection and stream forever; pub/sub is served as SSE on /subscribe instead.
  SUBSCRIBE: "use POST /subscribe/<channel> (server-sent events)",
  PSUBSCRIBE: "use POST /psubscribe/<pattern> (server-sent events)",
  SSUBSCRIBE: "sharded pub/sub is not served over REST",
  UNSUBSCRIBE: "close the /subscribe stream instead",
  PUNSUBSCRIBE: "close the /psubscribe stream instead",
  SUNSUBSCRIBE: "sharded pub/sub is not served over REST",
  MONITOR: "streams every command forever",
  SYNC: "replication protocol",
  PSYNC: "replication protocol",
  REPLCONF: "replication protocol",
  // Connection state would leak between unrelated HTTP requests sharing one connection.
  MULTI: "use POST /multi-exec",
  EXEC: "use POST /multi-exec",
  DISCARD: "use POST /multi-exec",
  WATCH: "WATCH needs a connection that outlives one request",
  UNWATCH: "WATCH needs a connection that outlives one request",
  SELECT: "Upstash databases have a single logical database",
  SWAPDB: "Upstash databases have a single logical database",
  HELLO: "would switch the shared connection's protocol",
  AUTH: "the REST token is the only credential",
  CLIENT: "CLIENT REPLY/KILL/PAUSE would disturb the shared connection",
  RESET: "would reset the shared connection",
  QUIT: "would close the shared connection",
  SHUTDOWN: "would stop the local redis-server for every consumer",
};

// Commands that can block the connection; they get a connection of their own so that one slow
// BLPOP does not stall every other request. The value finds the timeout argument.
const BLOCKING: Record<string, (args: readonly Buffer[]) => string | undefined> = {
  BLPOP: (a) => a.at(-1)?.toString(),
  BRPOP: (a) => a.at(-1)?.toString(),
  BRPOPLPUSH: (a) => a.at(-1)?.toString(),
  BLMOVE: (a) => a.at(-1)?.toString(),
  BZPOPMIN: (a) => a.at(-1)?.toString(),
  BZPOPMAX: (a) => a.at(-1)?.toString(),
  BLMPOP: (a) => a[0]?.toString(),
  BZMPOP: (a) => a[0]?.toString(),
  WAIT: (a) => a.at(-1)?.toString(),
  WAITAOF: (a) => a.at(-1)?.toString(),
  XREAD: blockArgument,
  XREADGROUP: blockArgument,
};

function blockArgument(args: readonly Buffer[]): string | undefined {
  const i = args.findIndex((a) => a.toString().toUpperCase() === "BLOCK");
  return i >= 0 ? (args[i + 1]?.toString() ?? "") : undefined;
}

class CommandRefused extends Error {}

// Script flags that only Upstash's server understands; Redis refuses the whole script for them
// ("Unexpected flag in script shebang"). @upstash/ratelimit declares allow-key-locking.
const UPSTASH_ONLY_SCRIPT_FLAGS = new Set(["allow-key-locking"]);

function sha1Hex(data: Buffer): string {
  return createHash("sha1").update(data).digest("hex");
}

/** The script without Upstash-only shebang flags, or undefined when it needs no change. */
function stripUpstashFlags(script: Buffer): Buffer | undefined {
  if (script.subarray(0, 5).toString("latin1") !== "#!lua") return undefined;
  const newline = script.indexOf(0x0a);
  const shebang = script.subarray(0, newline === -1 ? script.length : newline).toString("utf8");
  const tokens = shebang.slice(5).trim().split(/\s+/).filter(Boolean);
  let changed = false;
  const kept = tokens.map((token) => {
    if (!token.startsWith("flags=")) return token;
    const flags = token.slice("flags=".length).split(",");
    const remaining = flags.filter((f) => !UPSTASH_ONLY_SCRIPT_FLAGS.has(f));
    if (remaining.length === flags.length) return token;
    changed = true;
    return remaining.length > 0 ? `flags=${remaining.join(",")}` : "";
  });
  if (!changed) return undefined;
  const head = ["#!lua", ...kept.filter(Boolean)].join(" ");
  return Buffer.concat([
    Buffer.from(head, "utf8"),
    newline === -1 ? Buffer.alloc(0) : script.subarray(newline),
  ]);
}

interface Adapted {
  args: Buffer[];
  /** Rewrites the reply so the caller sees what Upstash would have answered. */
  mapReply?: (reply: unknown) => unknown;
}

/**
 * Makes Upstash-flavoured scripts run on stock Redis while keeping their SHA1s: clients compute the
 * SHA of the script they sent and call EVALSHA with it, so rewritten scripts are tracked by the
 * original SHA and EVALSHA / SCRIPT EXISTS are translated.
 */
class ScriptShim {
  private readonly rewrittenSha = new Map<string, string>();

  adapt(name: string, args: Buffer[]): Adapted {
    switch (name) {
      case "EVAL":
      case "EVAL_RO": {
        const [script, ...rest] = args;
        const stripped = script && this.rewrite(script);
        return stripped ? { args: [stripped, ...rest] } : { args };
      }
      case "EVALSHA":
      case "EVALSHA_RO": {
        const [sha, ...rest] = args;
        const mapped = sha && this.rewrittenSha.get(sha.toString("latin1").toLowerCase());
        return mapped ? { args: [Buffer.from(mapped, "latin1"), ...rest] } : { args };
      }
      case "SCRIPT": {
        const sub = args[0]?.toString("latin1").toUpperCase();
        if (sub === "LOAD" && args[1]) {
          const original = sha1Hex(args[1]);
          const stripped = this.rewrite(args[1]);
          if (!stripped) return { args };
          // Redis answers with the SHA of what it stored; the caller expects the SHA of what it sent.
          return { args: [args[0]!, stripped], mapReply: () => Buffer.from(original, "latin1") };
        }
        if (sub === "EXISTS") {
          return {
            args: args.map((a, i) => {
              const mapped = i > 0 ? this.rewrittenSha.get(a.toString("latin1").toLowerCase()) : undefined;
              return mapped ? Buffer.from(mapped, "latin1") : a;
            }),
          };
        }
        return { args };
      }
      default:
        return { args };
    }
  }

  private rewrite(script: Buffer): Buffer | undefined {
    const stripped = stripUpstashFlags(script);
    if (stripped) this.rewrittenSha.set(sha1Hex(script), sha1Hex(stripped));
    return stripped;
  }
}

/** Throws for commands this front will not run; returns whether the command may block. */
function vet(name: string, args: readonly Buffer[]): { blocking: boolean } {
  const reason = DENIED[name];
  if (reason !== undefined) {
    throw new CommandRefused(`ERR Command is not available over the REST API: '${name}' (${reason})`);
  }
  const timeoutOf = BLOCKING[name];
  const timeout = timeoutOf?.(args);
  if (timeout === undefined) return { blocking: false };
  // Blocking forever outlives any HTTP timeout and leaks the connection when the caller gives up.
  if (Number(timeout) === 0) {
    throw new CommandRefused(
      `ERR ${name} with timeout 0 (block forever) is not supported over the REST API; pass a timeout`,
    );
  }
  return { blocking: true };
}

// The client stringifies objects itself but sends numbers and booleans as JSON scalars.
const argSchema = z.union([z.string(), z.number(), z.boolean()]);
const commandSchema = z.array(argSchema).min(1);
const batchSchema = z.array(commandSchema).min(1);

type Arg = z.infer<typeof argSchema>;

function toBuffers(command: readonly Arg[]): { name: string; args: Buffer[] } {
  const [first, ...rest] = command;
  return {
    name: String(first).toUpperCase(),
    args: rest.map((a) => Buffer.from(typeof a === "string" ? a : String(a), "utf8")),
  };
}

/**
 * Sends a command with its name upper-cased: ioredis keys its reply transformers (HGETALL → object)
 * and its connection-state tracking on lower-case names, and we want the raw RESP reply as buffers.
 */
function send(conn: IORedis, name: string, args: Buffer[]): Promise<unknown> {
  const command = new Command(name, args, { replyEncoding: null });
  void conn.sendCommand(command);
  return command.promise;
}

/**
 * Serialises a RESP reply to JSON text by hand: integer replies arrive as decimal strings
 * (`stringNumbers`), so 64-bit counters keep every digit, and bulk/status replies arrive as Buffers.
 */
function replyToJson(reply: unknown, base64: boolean, topLevel: boolean): string {
  if (reply === null || reply === undefined) return "null";
  if (typeof reply === "string") return /^-?\d+$/.test(reply) ? reply : JSON.stringify(reply);
  if (typeof reply === "number") return Number.isFinite(reply) ? String(reply) : "null";
  if (Buffer.isBuffer(reply)) {
    if (!base64) return JSON.stringify(reply.toString("utf8"));
    // Upstash leaves a top-level "OK" unencoded and @upstash/redis relies on it.
    if (topLevel && reply.length === 2 && reply.toString("latin1") === "OK") return '"OK"';
    return JSON.stringify(reply.toString("base64"));
  }
  if (Array.isArray(reply)) return `[${reply.map((r) => replyToJson(r, base64, false)).join(",")}]`;
  if (reply instanceof Error) return JSON.stringify(reply.message);
  return JSON.stringify(String(reply));
}

function slotJson(outcome: PromiseSettledResult<unknown>, base64: boolean): string {
  if (outcome.status === "fulfilled") return `{"result":${replyToJson(outcome.value, base64, true)}}`;
  return `{"error":${JSON.stringify(errorMessage(outcome.reason))}}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Decodes %XX escapes to raw bytes so that binary keys and values survive the path form. */
function percentDecode(segment: string, plusIsSpace: boolean): Buffer {
  const text = plusIsSpace ? segment.replaceAll("+", " ") : segment;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "%" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, "utf8"));
    }
  }
  return Buffer.from(bytes);
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function displayUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

/** A Redis URL without its password, for messages. */
function redactRedisUrl(redisUrl: string): string {
  try {
    const u = new URL(redisUrl);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid REDIS_URL>";
  }
}

const connectionOptions: RedisOptions = {
  stringNumbers: true,
  // A command half-sent before a reconnect must not run twice (INCR) or outside its MULTI.
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: false,
  lazyConnect: true,
};

export async function startUpstashRestServer(
  opts: UpstashRestServerOptions,
): Promise<RunningUpstashRestServer> {
  const host = opts.host ?? "127.0.0.1";
  const maxBodyBytes = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const log = opts.logger;
  if (!opts.token) throw new Error("UPSTASH_REDIS_REST_TOKEN must not be empty");
  const tokenHash = sha256(opts.token);
  if (opts.port !== 0) await assertPortFree(host, opts.port, "UPSTASH_REST_PORT");

  const newConnection = (purpose: string): IORedis => {
    const conn = new IORedis(opts.redisUrl, {
      ...connectionOptions,
      connectionName: `upstash-rest-${purpose}`,
    });
    // ioredis reconnects by itself; these messages carry no keys or values.
    conn.on("error", (err: Error) => log?.warn(`redis ${purpose} connection: ${err.message}`));
    return conn;
  };
  const shared = newConnection("shared");
  // Transactions get their own connection so MULTI…EXEC blocks never mix with unrelated commands.
  const tx = newConnection("multi-exec");
  const transient = new Set<IORedis>();

  try {
    await Promise.all([shared.connect(), tx.connect()]);
    await shared.ping();
  } catch (err) {
    shared.disconnect();
    tx.disconnect();
    throw new Error(`Redis at ${redactRedisUrl(opts.redisUrl)} is not reachable: ${errorMessage(err)}`);
  }

  const withTransient = async <T>(purpose: string, fn: (conn: IORedis) => Promise<T>): Promise<T> => {
    const conn = newConnection(purpose);
    transient.add(conn);
    try {
      await conn.connect();
      return await fn(conn);
    } finally {
      transient.delete(conn);
      conn.disconnect();
    }
  };

  let syncToken = 0;

  const authorized = (req: http.IncomingMessage, url: URL): boolean => {
    const header = req.headers.authorization;
    const presented = header?.match(/^Bearer\s+(.+)$/i)?.[1] ?? url.searchParams.get("_token") ?? undefined;
    return presented !== undefined && timingSafeEqual(sha256(presented.trim()), tokenHash);
  };

  const readBody = async (req: http.IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buf.length;
      if (size > maxBodyBytes) throw new HttpError(413, "ERR request body too large");
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  };

  const parseJson = <T>(body: Buffer, schema: z.ZodType<T>, what: string): T => {
    let raw: unknown;
    try {
      raw = JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpError(400, `ERR failed to parse ${what}: body is not valid JSON`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new HttpError(400, `ERR failed to parse ${what}: expected ${describe(what)}`);
    }
    return parsed.data;
  };

  const scripts = new ScriptShim();
  const sendAdapted = async (conn: IORedis, name: string, args: Buffer[]): Promise<unknown> => {
    const adapted = scripts.adapt(name, args);
    const reply = await send(conn, name, adapted.args);
    return adapted.mapReply ? adapted.mapReply(reply) : reply;
  };

  const runSingle = async (name: string, args: Buffer[]): Promise<unknown> => {
    const { blocking } = vet(name, args);
    if (blocking) return await withTransient("blocking", (conn) => sendAdapted(conn, name, args));
    return await sendAdapted(shared, name, args);
  };

  const runPipeline = async (commands: Array<{ name: string; args: Buffer[] }>) => {
    const vetted = commands.map((c) => {
      try {
        return { ...c, refused: undefined, blocking: vet(c.name, c.args).blocking };
      } catch (err) {
        return { ...c, refused: err, blocking: false };
      }
    });
    const issue = (conn: IORedis) =>
      // Issued in one synchronous pass so the commands reach Redis in order, back to back.
      Promise.allSettled(
        vetted.map((c) =>
          c.refused !== undefined ? Promise.reject(c.refused) : sendAdapted(conn, c.name, c.args),
        ),
      );
    if (vetted.some((c) => c.blocking)) return await withTransient("pipeline", issue);
    return await issue(shared);
  };

  const runMultiExec = async (
    commands: Array<{ name: string; args: Buffer[] }>,
  ): Promise<PromiseSettledResult<unknown>[]> => {
    for (const c of commands) {
      if (DENIED[c.name] !== undefined) vet(c.name, c.args);
    }
    // All of MULTI, the commands and EXEC are written in one synchronous pass on the transaction
    // connection, so concurrent transactions cannot interleave.
    const adapted = commands.map((c) => scripts.adapt(c.name, c.args));
    const multi = send(tx, "MULTI", []);
    const queued = commands.map((c, i) => send(tx, c.name, adapted[i]!.args));
    const exec = send(tx, "EXEC", []);
    // Awaited below, after the queueing replies; a connection lost meanwhile (Redis restarting) rejects
    // it first, which must not count as an unhandled rejection of the whole process.
    exec.catch(() => undefined);
    const [multiOutcome, ...queueOutcomes] = await Promise.allSettled([multi, ...queued]);
    let replies: unknown;
    try {
      replies = await exec;
    } catch (err) {
      // EXECABORT: a command was rejected while queueing (unknown command, wrong arity), so
      // nothing ran. Name the culprit: Redis's own message does not.
      const culprit = queueOutcomes.findIndex((o) => o.status === "rejected");
      const first = queueOutcomes[culprit];
      const detail =
        first?.status === "rejected"
          ? ` (command ${culprit + 1} [${commands[culprit]?.name}]: ${errorMessage(first.reason)})`
          : "";
      throw new HttpError(400, `${errorMessage(err)}${detail}`);
    }
    if (multiOutcome?.status === "rejected") throw new HttpError(500, errorMessage(multiOutcome.reason));
    if (!Array.isArray(replies)) throw new HttpError(400, "ERR transaction was aborted");
    return replies.map(
      (r): PromiseSettledResult<unknown> =>
        r instanceof Error ? { status: "rejected", reason: r } : { status: "fulfilled", value: r },
    );
  };

  const subscribe = async (res: http.ServerResponse, pattern: boolean, channels: Buffer[]): Promise<void> => {
    if (channels.length === 0)
      throw new HttpError(400, "ERR wrong number of arguments for 'subscribe' command");
    const conn = newConnection(pattern ? "psubscribe" : "subscribe");
    transient.add(conn);
    const cleanup = () => {
      transient.delete(conn);
      conn.disconnect();
    };
    res.once("close", cleanup);
    res.writeHead(200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "Upstash-Sync-Token": String(++syncToken),
    });
    // The client splits on newlines and reads "data: type,channel,payload" lines.
    const event = (...parts: Array<string | Buffer>) =>
      res.write(`data: ${parts.map((p) => (Buffer.isBuffer(p) ? p.toString("utf8") : p)).join(",")}\n\n`);
    conn.on("messageBuffer", (channel: Buffer, message: Buffer) => event("message", channel, message));
    conn.on("pmessageBuffer", (pat: Buffer, channel: Buffer, message: Buffer) =>
      event("pmessage", pat, channel, message),
    );
    try {
      await conn.connect();
      let count = 0;
      for (const channel of channels) {
        if (pattern) await conn.psubscribe(channel.toString("utf8"));
        else await conn.subscribe(channel.toString("utf8"));
        count += 1;
        event(pattern ? "psubscribe" : "subscribe", channel, String(count));
      }
    } catch (err) {
      log?.warn(`subscribe stream failed: ${errorMessage(err)}`);
      res.end();
    }
  };

  const respond = (res: http.ServerResponse, status: number, json: string) => {
    const body = Buffer.from(json, "utf8");
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": body.length,
      "Upstash-Sync-Token": String(++syncToken),
    });
    res.end(body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    if (!["GET", "HEAD", "POST", "PUT"].includes(method)) {
      res.setHeader("Allow", "HEAD, GET, POST, PUT");
      throw new HttpError(405, "ERR method not allowed");
    }
    const rawUrl = req.url ?? "/";
    const url = new URL(rawUrl, "http://local");
    if (!authorized(req, url)) throw new HttpError(401, "Unauthorized");
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";

    // Split the raw path ourselves: URL normalisation would decode and fold escaped slashes.
    const rawPath = rawUrl.split("?")[0] ?? "/";
    const segments = rawPath.split("/").filter((s) => s.length > 0);
    const body = method === "POST" || method === "PUT" ? await readBody(req) : Buffer.alloc(0);
    const route = segments.length === 1 ? segments[0]!.toLowerCase() : undefined;

    if (route === "pipeline" || route === "multi-exec") {
      const batch = parseJson(body, batchSchema, route).map(toBuffers);
      let outcomes: PromiseSettledResult<unknown>[];
      try {
        outcomes = route === "pipeline" ? await runPipeline(batch) : await runMultiExec(batch);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, errorMessage(err));
      }
      respond(res, 200, `[${outcomes.map((o) => slotJson(o, base64)).join(",")}]`);
      return;
    }

    let name: string;
    let args: Buffer[];
    if (segments.length === 0) {
      if (body.length === 0) throw new HttpError(400, "ERR empty command");
      ({ name, args } = toBuffers(parseJson(body, commandSchema, "command")));
    } else {
      const [first, ...rest] = segments.map((s) => percentDecode(s, false));
      name = first!.toString("utf8").toUpperCase();
      args = rest;
      if (body.length > 0) args.push(body);
      // Query parameters continue the command after the body: `POST /set/k?EX=100` = SET k <body> EX 100.
      const query = rawUrl.includes("?") ? rawUrl.slice(rawUrl.indexOf("?") + 1) : "";
      for (const pair of query.split("&").filter(Boolean)) {
        const [k = "", v] = pair.split("=", 2);
        if (k === "_token") continue;
        args.push(percentDecode(k, true));
        if (v !== undefined && v !== "") args.push(percentDecode(v, true));
      }
      if (name === "SUBSCRIBE" || name === "PSUBSCRIBE") {
        await subscribe(res, name === "PSUBSCRIBE", args);
        return;
      }
    }

    let result: unknown;
    try {
      result = await runSingle(name, args);
    } catch (err) {
      throw new HttpError(400, errorMessage(err));
    }
    respond(res, 200, `{"result":${replyToJson(result, base64, true)}}`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      // Redis error texts can quote arguments (values), so only unexpected failures are logged, by kind.
      if (status === 500)
        log?.error(`upstash-rest: internal error (${err instanceof Error ? err.name : "unknown"})`);
      if (res.headersSent) {
        res.end();
        return;
      }
      respond(res, status, JSON.stringify({ error: errorMessage(err) }));
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: opts.port }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    shared.disconnect();
    tx.disconnect();
    throw err;
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  const url = displayUrl(host, port);
  log?.info(`Upstash REST front listening on ${url} (Redis ${redactRedisUrl(opts.redisUrl)})`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // SSE streams and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
        for (const conn of transient) conn.disconnect();
        transient.clear();
        await closed;
        // disconnect, not QUIT: QUIT would wait on a Redis that may already be gone.
        shared.disconnect();
        tx.disconnect();
      })();
      return closing;
    },
  };
}

function describe(what: string): string {
  return what === "command"
    ? 'a JSON array such as ["SET","key","value"]'
    : 'a JSON array of command arrays such as [["SET","k","v"],["GET","k"]]';
}
