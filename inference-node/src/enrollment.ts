import { type NodeEnrollReply, nodeEnrollReplySchema } from "@inkwell/shared";

export interface EnrollmentLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EnrollOptions {
  edgeUrl: string;
  joinSecret: string;
  name: string;
  /** Where QStash and the edge reach this replica; must be on one of the join secret's allowed hosts. */
  publicUrl: string;
  log: EnrollmentLogger;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
  maxBackoffMs?: number;
  /** Aborts the retries (a shutdown during start-up). */
  signal?: AbortSignal;
}

/** The edge refused the enrollment for good: a wrong or revoked secret, or a URL it does not allow. */
export class EnrollmentRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "EnrollmentRefused";
  }
}

const REFUSALS: Record<number, string> = {
  400: "the edge refused the enrollment request (NODE_NAME or NODE_PUBLIC_URL is malformed)",
  401: "the edge refused NODE_JOIN_SECRET: it is wrong or was revoked",
  403: "NODE_PUBLIC_URL is not on a host this join secret allows; ask the administrator which hosts it allows",
  409: "the edge has a node by this name already; set another NODE_NAME",
};

/**
 * Enrolls this replica with a join secret and returns its own node id and token. An edge that cannot be
 * reached (or answers 5xx or 429) is retried with jittered backoff until it answers; a refusal throws
 * `EnrollmentRefused`. Only the status is logged: the request carries the join secret.
 */
export async function enroll(options: EnrollOptions): Promise<NodeEnrollReply> {
  const endpoint = `${options.edgeUrl.replace(/\/+$/, "")}/internal/nodes/enroll`;
  const fetchFn = options.fetch ?? fetch;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    let failure: { status?: number; error?: string };
    try {
      const response = await fetchFn(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${options.joinSecret}`, "content-type": "application/json" },
        body: JSON.stringify({ name: options.name, url: options.publicUrl }),
        signal: AbortSignal.any([
          AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
          ...(options.signal ? [options.signal] : []),
        ]),
      });
      if (response.ok) {
        const reply = nodeEnrollReplySchema.parse(await response.json());
        options.log.info({ nodeId: reply.nodeId, name: reply.name }, "enrolled with the edge");
        return reply;
      }
      await response.body?.cancel();
      const refusal = REFUSALS[response.status];
      if (refusal) throw new EnrollmentRefused(response.status, refusal);
      failure = { status: response.status };
    } catch (error) {
      if (error instanceof EnrollmentRefused || options.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: unknown } }).cause;
      failure = {
        error:
          typeof cause?.code === "string"
            ? cause.code
            : error instanceof Error
              ? error.name
              : "unknown error",
      };
    }
    const backoff = Math.min(1000 * 2 ** Math.min(attempt, 16), maxBackoffMs) * (0.8 + Math.random() * 0.4);
    options.log.warn({ ...failure, attempt: attempt + 1 }, "enrollment failed; retrying");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, backoff);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
