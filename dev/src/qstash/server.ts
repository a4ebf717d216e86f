import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import pino from "pino";
import { z } from "zod";
import { Dispatcher } from "./dispatcher.ts";
import { isWellFormedId } from "./ids.ts";
import type { MessageRecord } from "./model.ts";
import { normaliseIncomingHeaders, parseMessageSpec } from "./publish-request.ts";
import { MessageStore } from "./store.ts";

export interface QStashServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks an ephemeral port. */
  port: number;
  /** Bearer token clients must send (QSTASH_TOKEN). */
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** Messages are persisted here and survive a restart. */
  dataDir: string;
  /** Never given bodies or tokens; destinations are logged by origin only. Default: pino at `warn`. */
  logger?: pino.Logger;
  /** Retry backoff base: `base * 2^retried`, capped by `retryMaxDelayMs`. Default 1000. */
  retryBaseDelayMs?: number;
  /** Default one day, QStash's own cap. */
  retryMaxDelayMs?: number;
  /** Per-attempt timeout when the publish sets no `Upstash-Timeout`. Default 15 minutes. */
  defaultTimeoutMs?: number;
  /** Same deduplication id (or content) within this window is not enqueued again. Default 10 minutes. */
  deduplicationWindowMs?: number;
  /** Delivered, failed and cancelled messages stay readable this long. Default one hour. */
  finishedRetentionMs?: number;
  /** On close, attempts already on the wire get this long to finish before being aborted. Default 5 s. */
  shutdownGraceMs?: number;
  /** Largest accepted publish body. Default 10 MiB. */
  bodyLimitBytes?: number;
}

export interface QStashServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const batchSchema = z.array(
  z.object({
    destination: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    queue: z.string().optional(),
  }),
);

function sendError(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).type("application/json").send({ error });
}

function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

/** A message as `GET /v2/messages/:id` returns it; `state`, `retried` and `kind` are local extras. */
function toMessagePayload(record: MessageRecord): Record<string, unknown> {
  const body = Buffer.from(record.bodyBase64, "base64");
  const text = body.toString("utf8");
  const isUtf8 = Buffer.from(text, "utf8").equals(body);
  return {
    messageId: record.messageId,
    url: record.url,
    method: record.method,
    header: record.header,
    ...(isUtf8 ? { body: text } : { bodyBase64: record.bodyBase64 }),
    maxRetries: record.maxRetries,
    notBefore: record.notBefore,
    createdAt: record.createdAt,
    ...(record.callback ? { callback: record.callback.url } : {}),
    ...(record.failureCallback ? { failureCallback: record.failureCallback.url } : {}),
    ...(record.callerIp ? { callerIp: record.callerIp } : {}),
    ...(record.retryDelay !== undefined ? { retryDelayExpression: record.retryDelay } : {}),
    flowControlKey: record.flowControl?.key ?? "",
    ...(record.flowControl?.parallelism !== undefined ? { parallelism: record.flowControl.parallelism } : {}),
    ...(record.flowControl?.rate !== undefined
      ? { rate: record.flowControl.rate, period: Math.round(record.flowControl.periodMs / 1_000) }
      : {}),
    state: record.state,
    retried: record.retried,
    kind: record.kind,
  };
}

/**
 * A local stand-in for Upstash QStash speaking its v2 wire protocol for what the project uses: publish
 * (single and batch), signed delivery with retries (custom `Upstash-Retry-Delay`, destination `Retry-After`),
 * flow control, delays, deduplication, callbacks, message get/cancel, and signing keys. Point the official
 * `Client` at `url` and verify deliveries with the official `Receiver`.
 */
export async function startQStashServer(opts: QStashServerOptions): Promise<QStashServer> {
  // Quiet by default when embedded (the local stack prints its own progress); the CLI passes an info logger.
  const logger = opts.logger ?? pino({ name: "qstash-local", level: "warn" });
  const store = await MessageStore.open(opts.dataDir, logger);
  const dispatcher = new Dispatcher({
    store,
    logger,
    signingKey: () => opts.currentSigningKey,
    retryBaseDelayMs: opts.retryBaseDelayMs ?? 1_000,
    retryMaxDelayMs: opts.retryMaxDelayMs ?? 86_400_000,
    defaultTimeoutMs: opts.defaultTimeoutMs ?? 15 * 60_000,
    deduplicationWindowMs: opts.deduplicationWindowMs ?? 10 * 60_000,
    finishedRetentionMs: opts.finishedRetentionMs ?? 60 * 60_000,
    shutdownGraceMs: opts.shutdownGraceMs ?? 5_000,
  });

  // Fastify's own request logging would print publish paths, which embed destination URLs and queries.
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimitBytes ?? 10 * 1024 * 1024 });
  // Publish bodies are opaque bytes: they are signed and forwarded exactly as received.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/v2/")) return;
    const token = bearerOf(request);
    if (token === undefined || !tokensMatch(token, opts.token)) {
      logger.warn({ method: request.method }, "rejected request with a missing or wrong token");
      return sendError(reply, 401, "Unauthorized");
    }
  });

  app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) logger.error({ err: err.message }, "request failed");
    return sendError(reply, status, err.message);
  });
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, 404, "not supported by the local QStash stand-in"),
  );

  const bodyOf = (request: FastifyRequest): Buffer =>
    Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

  app.post("/v2/publish/*", async (request, reply) => {
    const prefix = "/v2/publish/";
    const destination = request.url.slice(request.url.indexOf(prefix) + prefix.length);
    const parsed = parseMessageSpec({
      destination,
      headers: normaliseIncomingHeaders(request.headers),
      body: bodyOf(request),
      callerIp: request.ip,
      nowMs: Date.now(),
    });
    if (!parsed.ok) return sendError(reply, 400, parsed.error);
    const { record, deduplicated } = await dispatcher.publish(parsed.spec, Date.now());
    // The real service answers 201 for a new message and 202 for a duplicate.
    return reply.code(deduplicated ? 202 : 201).send({
      messageId: record.messageId,
      url: record.url,
      ...(deduplicated ? { deduplicated: true } : {}),
    });
  });

  app.post("/v2/batch", async (request, reply) => {
    let entries: z.infer<typeof batchSchema>;
    try {
      const result = batchSchema.safeParse(JSON.parse(bodyOf(request).toString("utf8")));
      if (!result.success) return sendError(reply, 400, "batch body must be an array of messages");
      entries = result.data;
    } catch {
      return sendError(reply, 400, "batch body must be JSON");
    }
    if (entries.some((e) => e.queue !== undefined))
      return sendError(reply, 400, "queues are not supported locally");
    const now = Date.now();
    const specs = [];
    for (const entry of entries) {
      const parsed = parseMessageSpec({
        destination: entry.destination,
        headers: normaliseIncomingHeaders(entry.headers ?? {}),
        body: Buffer.from(entry.body ?? "", "utf8"),
        callerIp: request.ip,
        nowMs: now,
      });
      if (!parsed.ok) return sendError(reply, 400, parsed.error);
      specs.push(parsed.spec);
    }
    const results = [];
    for (const spec of specs) {
      const { record, deduplicated } = await dispatcher.publish(spec, now);
      results.push({
        messageId: record.messageId,
        url: record.url,
        ...(deduplicated ? { deduplicated: true } : {}),
      });
    }
    return reply.code(201).send(results);
  });

  app.get("/v2/keys", async () => ({ current: opts.currentSigningKey, next: opts.nextSigningKey }));

  app.get<{ Params: { messageId: string } }>("/v2/messages/:messageId", async (request, reply) => {
    const { messageId } = request.params;
    const record = isWellFormedId(messageId) ? store.get(messageId) : undefined;
    if (!record) return sendError(reply, 404, `message ${messageId} not found`);
    return reply.send(toMessagePayload(record));
  });

  app.get<{ Params: { flowControlKey: string } }>("/v2/flowControl/:flowControlKey", async (request) =>
    dispatcher.flowControlInfo(request.params.flowControlKey),
  );

  app.delete<{ Params: { messageId: string } }>("/v2/messages/:messageId", async (request, reply) => {
    const { messageId } = request.params;
    const result = isWellFormedId(messageId) ? await dispatcher.cancel(messageId) : "not-found";
    if (result === "not-found") return sendError(reply, 404, `message ${messageId} not found`);
    return reply.code(200).send({ cancelled: 1 });
  });

  // Bulk cancel: by `messageIds`, by `url`, or everything pending when no filter is given.
  app.delete("/v2/messages", async (request, reply) => {
    const query = new URL(request.url, "http://localhost").searchParams;
    const ids = query.getAll("messageIds");
    const url = query.get("url");
    const targets =
      ids.length > 0
        ? ids
        : store
            .pending()
            .filter((r) => r.kind === "message" && (url === null || r.url === url))
            .map((r) => r.messageId);
    let cancelled = 0;
    for (const id of targets) {
      if (isWellFormedId(id) && (await dispatcher.cancel(id)) === "cancelled") cancelled += 1;
    }
    return reply.code(200).send({ cancelled });
  });

  const host = opts.host ?? "127.0.0.1";
  await app.listen({ host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  dispatcher.start();
  const urlHost = host.includes(":") ? `[${host}]` : host;
  logger.info({ host, port, dataDir: opts.dataDir }, "local QStash listening");

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        await app.close();
        await dispatcher.close();
        logger.info("local QStash stopped");
      })();
      return closing;
    },
  };
}
