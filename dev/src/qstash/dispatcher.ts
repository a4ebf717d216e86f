import type { Logger } from "pino";
import { backoffDelayMs, type DeliveryOutcome, deliver, isNonRetryable, isSuccess } from "./delivery.ts";
import { type FlowControlInfo, FlowGate } from "./flow-control.ts";
import { addHeader, type HeaderMap, mapToHeaders, originOf } from "./headers.ts";
import { randomId } from "./ids.ts";
import { type CallbackSpec, type MessageRecord, PENDING_STATES } from "./model.ts";
import type { MessageSpec } from "./publish-request.ts";
import { retryHintFromResponse } from "./retry-after.ts";
import { parseRetryDelay, retryDelayMs } from "./retry-delay.ts";
import { signDelivery } from "./signing.ts";
import type { MessageStore } from "./store.ts";

/** setTimeout's ceiling; longer waits are re-armed when the timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DispatcherOptions {
  store: MessageStore;
  logger: Logger;
  signingKey: () => string;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  defaultTimeoutMs: number;
  deduplicationWindowMs: number;
  finishedRetentionMs: number;
  /** How long close() lets attempts already on the wire finish before aborting them. */
  shutdownGraceMs: number;
}

export type CancelResult = "cancelled" | "not-found";

/**
 * Owns delivery: one timer per pending message, attempts with backoff, callbacks as follow-up messages.
 * Every state change is persisted before it is acted upon, so a restart resumes from the last durable state
 * (an attempt interrupted by a crash is simply made again: delivery is at-least-once, as on QStash).
 */
export class Dispatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private stopping = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly flowGate: FlowGate;

  constructor(private readonly opts: DispatcherOptions) {
    this.flowGate = new FlowGate({
      launch: (messageId) => {
        const work = this.attempt(messageId);
        this.track(work);
        return work;
      },
      isDeliverable: (messageId) => {
        const record = this.opts.store.get(messageId);
        return record !== undefined && PENDING_STATES.has(record.state) && !this.stopping;
      },
    });
  }

  start(): void {
    // Oldest due first, so flow-controlled messages queue up again in the order they were waiting.
    const pending = this.opts.store
      .pending()
      .sort((a, b) => a.nextDeliveryAt - b.nextDeliveryAt || a.createdAt - b.createdAt);
    if (pending.length > 0) this.opts.logger.info({ count: pending.length }, "resuming pending messages");
    for (const record of pending) this.schedule(record);
    void this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), 60_000);
    this.pruneTimer.unref();
  }

  /** Accepts a message: durable before this resolves, then scheduled. */
  async publish(spec: MessageSpec, nowMs: number): Promise<{ record: MessageRecord; deduplicated: boolean }> {
    if (spec.deduplicationKey !== undefined) {
      const existing = this.findDuplicate(spec.deduplicationKey, nowMs);
      if (existing) {
        this.opts.logger.info({ messageId: existing.messageId }, "publish deduplicated");
        return { record: existing, deduplicated: true };
      }
    }
    const record: MessageRecord = {
      version: 1,
      messageId: randomId("msg"),
      kind: "message",
      url: spec.url,
      method: spec.method,
      header: spec.header,
      bodyBase64: spec.body.toString("base64"),
      maxRetries: spec.maxRetries,
      retried: 0,
      notBefore: spec.notBefore,
      createdAt: nowMs,
      nextDeliveryAt: spec.notBefore,
      state: "CREATED",
      ...(spec.timeoutMs ? { timeoutMs: spec.timeoutMs } : {}),
      ...(spec.callback ? { callback: spec.callback } : {}),
      ...(spec.failureCallback ? { failureCallback: spec.failureCallback } : {}),
      ...(spec.deduplicationKey ? { deduplicationKey: spec.deduplicationKey } : {}),
      ...(spec.callerIp ? { callerIp: spec.callerIp } : {}),
      ...(spec.retryDelay ? { retryDelay: spec.retryDelay } : {}),
      ...(spec.flowControl ? { flowControl: spec.flowControl } : {}),
    };
    await this.opts.store.save(record);
    this.opts.logger.info(
      { messageId: record.messageId, destination: originOf(record.url), notBefore: record.notBefore },
      "message accepted",
    );
    this.schedule(record);
    return { record, deduplicated: false };
  }

  async cancel(messageId: string): Promise<CancelResult> {
    const record = this.opts.store.get(messageId);
    if (!record || !PENDING_STATES.has(record.state)) return "not-found";
    this.clearTimer(messageId);
    if (record.flowControl) this.flowGate.remove(messageId, record.flowControl.key);
    record.state = "CANCELED";
    record.finishedAt = Date.now();
    await this.opts.store.save(record);
    this.opts.logger.info({ messageId }, "message cancelled");
    return "cancelled";
  }

  /** The live state of a flow-control key, as `GET /v2/flowControl/:key` reports it. */
  flowControlInfo(key: string): FlowControlInfo {
    return this.flowGate.info(key);
  }

  /**
   * Starts nothing new, lets attempts on the wire finish (so their outcome is recorded rather than the
   * message being delivered again after the restart), and aborts whatever outlives the grace period.
   * Anything not finished stays pending on disk for the next start.
   */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
    this.flowGate.close();
    const grace = setTimeout(() => this.shutdown.abort(), this.opts.shutdownGraceMs);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    clearTimeout(grace);
    this.shutdown.abort();
    await this.opts.store.flush();
  }

  private findDuplicate(key: string, nowMs: number): MessageRecord | undefined {
    for (const record of this.opts.store.all()) {
      if (record.deduplicationKey === key && nowMs - record.createdAt < this.opts.deduplicationWindowMs) {
        return record;
      }
    }
    return undefined;
  }

  private schedule(record: MessageRecord): void {
    if (this.stopping) return;
    this.clearTimer(record.messageId);
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, record.nextDeliveryAt - Date.now()));
    const timer = setTimeout(() => {
      this.timers.delete(record.messageId);
      // Timers may fire a hair early relative to the wall clock; never deliver before the due time.
      if (Date.now() < record.nextDeliveryAt) {
        this.schedule(record);
        return;
      }
      // Flow-controlled messages wait their turn, still pending, until their key's limits allow it.
      if (record.flowControl) this.flowGate.enqueue(record, record.flowControl);
      else this.track(this.attempt(record.messageId));
    }, wait);
    this.timers.set(record.messageId, timer);
  }

  private clearTimer(messageId: string): void {
    const timer = this.timers.get(messageId);
    if (timer) clearTimeout(timer);
    this.timers.delete(messageId);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => {
      this.opts.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        "delivery bookkeeping failed",
      );
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async attempt(messageId: string): Promise<void> {
    const record = this.opts.store.get(messageId);
    if (!record || !PENDING_STATES.has(record.state) || this.stopping) return;
    // Not persisted: after a crash mid-attempt the durable state is still CREATED/RETRY, so it is retried.
    record.state = "ACTIVE";

    const body = Buffer.from(record.bodyBase64, "base64");
    const headers = mapToHeaders(record.header);
    headers.set(
      "Upstash-Signature",
      await signDelivery({ signingKey: this.opts.signingKey(), url: record.url, body }),
    );
    headers.set("Upstash-Message-Id", record.messageId);
    headers.set("Upstash-Retried", String(record.retried));
    headers.set("User-Agent", "Upstash-QStash");
    if (record.callerIp) headers.set("Upstash-Caller-Ip", record.callerIp);

    const outcome = await deliver({
      url: record.url,
      method: record.method,
      headers,
      body,
      timeoutMs: record.timeoutMs ?? this.opts.defaultTimeoutMs,
      signal: this.shutdown.signal,
    });
    if (outcome.kind === "error" && outcome.aborted) return;
    // Cancelled while the request was on the wire: too late to stop it, but nothing follows from it.
    if ((record.state as string) === "CANCELED") return;

    const now = Date.now();
    const log = {
      messageId: record.messageId,
      kind: record.kind,
      destination: originOf(record.url),
      retried: record.retried,
      ...(outcome.kind === "response" ? { status: outcome.status } : { error: outcome.error }),
    };
    if (outcome.kind === "response") {
      record.lastResponse = {
        status: outcome.status,
        header: outcome.header,
        bodyBase64: outcome.body.toString("base64"),
      };
      delete record.lastError;
    } else {
      delete record.lastResponse;
      record.lastError = outcome.error;
    }

    if (isSuccess(outcome)) {
      this.opts.logger.info(log, "delivered");
      if (record.callback) await this.enqueueCallback(record, record.callback, "callback", outcome, now);
      record.state = "DELIVERED";
      record.finishedAt = now;
      await this.opts.store.save(record);
      return;
    }

    if (record.retried < record.maxRetries && !isNonRetryable(outcome)) {
      const delay = this.retryDelayFor(record, outcome, now);
      record.retried += 1;
      record.state = "RETRY";
      record.nextDeliveryAt = now + delay;
      await this.opts.store.save(record);
      this.opts.logger.warn({ ...log, retryInMs: delay }, "delivery failed, will retry");
      this.schedule(record);
      return;
    }

    this.opts.logger.warn(log, "delivery failed, retries exhausted");
    if (record.failureCallback) {
      await this.enqueueCallback(record, record.failureCallback, "failure-callback", outcome, now);
    }
    record.state = "FAILED";
    record.finishedAt = now;
    await this.opts.store.save(record);
  }

  /**
   * The wait before the next retry: what the destination asked for (`Retry-After` and the rate-limit reset
   * headers QStash reads), else the publisher's `Upstash-Retry-Delay` formula, else exponential backoff.
   */
  private retryDelayFor(record: MessageRecord, outcome: DeliveryOutcome, nowMs: number): number {
    const capMs = this.opts.retryMaxDelayMs;
    if (outcome.kind === "response") {
      const hinted = retryHintFromResponse(outcome.header, nowMs, capMs);
      if (hinted !== undefined) return hinted;
    }
    if (record.retryDelay !== undefined) {
      const parsed = parseRetryDelay(record.retryDelay);
      // Validated at publish; a record edited on disk falls back to the default rather than failing.
      const custom = parsed.ok ? retryDelayMs(parsed.expression, record.retried, capMs) : undefined;
      if (custom !== undefined) return custom;
    }
    return backoffDelayMs(this.opts.retryBaseDelayMs, record.retried, capMs);
  }

  /**
   * The payload the real service posts to `Upstash-Callback` / `Upstash-Failure-Callback`, delivered as a
   * message of its own (signed with `sub` = callback URL, retried with the callback's retry setting).
   */
  private async enqueueCallback(
    source: MessageRecord,
    spec: CallbackSpec,
    kind: "callback" | "failure-callback",
    outcome: DeliveryOutcome,
    nowMs: number,
  ): Promise<void> {
    const payload = {
      status: outcome.kind === "response" ? outcome.status : 0,
      header: outcome.kind === "response" ? outcome.header : {},
      body: outcome.kind === "response" ? outcome.body.toString("base64") : "",
      retried: source.retried,
      maxRetries: source.maxRetries,
      sourceMessageId: source.messageId,
      url: source.url,
      method: source.method,
      sourceHeader: source.header,
      sourceBody: source.bodyBase64,
      notBefore: source.notBefore,
      createdAt: source.createdAt,
      ...(source.callerIp ? { callerIP: source.callerIp } : {}),
      ...(outcome.kind === "error" ? { error: outcome.error } : {}),
    };
    const header: HeaderMap = structuredClone(spec.header);
    delete header["Content-Type"];
    addHeader(header, "content-type", "application/json");
    const callback: MessageRecord = {
      version: 1,
      messageId: randomId("msg"),
      kind,
      url: spec.url,
      method: spec.method,
      header,
      bodyBase64: Buffer.from(JSON.stringify(payload)).toString("base64"),
      maxRetries: spec.maxRetries,
      retried: 0,
      notBefore: nowMs,
      createdAt: nowMs,
      nextDeliveryAt: nowMs,
      state: "CREATED",
      sourceMessageId: source.messageId,
      ...(spec.timeoutMs ? { timeoutMs: spec.timeoutMs } : {}),
      ...(source.callerIp ? { callerIp: source.callerIp } : {}),
    };
    await this.opts.store.save(callback);
    this.opts.logger.info(
      {
        messageId: callback.messageId,
        sourceMessageId: source.messageId,
        kind,
        destination: originOf(spec.url),
      },
      `${kind} enqueued`,
    );
    this.schedule(callback);
  }

  /** Finished messages are kept a while for `GET /v2/messages/:id` and deduplication, then dropped. */
  private async prune(): Promise<void> {
    const cutoff = Date.now() - Math.max(this.opts.finishedRetentionMs, this.opts.deduplicationWindowMs);
    for (const record of this.opts.store.all()) {
      if (!PENDING_STATES.has(record.state) && (record.finishedAt ?? record.createdAt) < cutoff) {
        await this.opts.store.remove(record.messageId).catch((err: unknown) => {
          this.opts.logger.warn({ messageId: record.messageId, err: String(err) }, "could not prune message");
        });
      }
    }
  }
}
