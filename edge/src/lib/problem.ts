import {
  type ErrorCode,
  InkwellError,
  makeProblem,
  PROBLEM_CONTENT_TYPE,
  type ProblemFieldError,
} from "@inkwell/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { isDatabaseUnavailableError, isRetryableTransactionError, sqlState } from "../db/client.ts";

import type { AppEnv } from "../hono-env.ts";
import { errorCodes, errorName, log } from "./log.ts";

const FOREIGN_KEY_VIOLATION = "23503";

export function zodIssues(error: ZodError): ProblemFieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.join(".") || "(root)", message: issue.message }));
}

const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  401: "UNAUTHENTICATED",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  // zod-openapi's media-type gate: a JSON route called with another Content-Type.
  415: "UNSUPPORTED_MEDIA_TYPE",
};

/** The single place that turns any thrown value into an RFC 9457 response. */
export function problemResponse(c: Context<AppEnv>, err: unknown): Response {
  const requestId = c.get("requestId") ?? "unknown";
  let error: InkwellError;
  if (err instanceof InkwellError) {
    error = err;
  } else if (err instanceof HTTPException) {
    // Hono raises these for malformed bodies and limits; map them onto our codes.
    const code = HTTP_EXCEPTION_CODES[err.status] ?? (err.status >= 500 ? "INTERNAL" : "VALIDATION_FAILED");
    error = new InkwellError(code, err.status >= 500 ? "Something went wrong on our side." : err.message);
  } else if (isRetryableTransactionError(err)) {
    // Retried already (db/client.ts) and still contended: a moment's overload, not a fault; the client
    // may simply try again.
    log.warn("transaction contention", { requestId, ...errorCodes(err) });
    error = new InkwellError("SERVICE_UNAVAILABLE", "The service is busy; please retry in a moment.", {
      headers: { "Retry-After": "1" },
    });
  } else if (isDatabaseUnavailableError(err)) {
    // Postgres restarting, failing over or out of connections: an outage the client can wait out.
    log.warn("database unavailable", { requestId, ...errorCodes(err) });
    error = new InkwellError("SERVICE_UNAVAILABLE", "The service is briefly unavailable; please retry.", {
      headers: { "Retry-After": "2" },
    });
  } else if (sqlState(err) === FOREIGN_KEY_VIOLATION) {
    // A write that names a row deleted meanwhile (its account, a topic, a session) by a request that won
    // the race: the client's view is out of date, nothing failed on our side.
    error = new InkwellError("CONFLICT", "Something this request refers to was removed meanwhile.");
  } else {
    log.error("unhandled error", { requestId, error: errorName(err, typeof err), ...errorCodes(err) });
    error = new InkwellError(
      "INTERNAL",
      "Something went wrong on our side. Quote the request id when reporting it.",
    );
  }
  const body = makeProblem(error.code, error.message, requestId, error.errors);
  const headers = new Headers({ "Content-Type": PROBLEM_CONTENT_TYPE, "X-Request-Id": requestId });
  for (const [name, value] of Object.entries(error.headers ?? {})) headers.set(name, value);
  return new Response(JSON.stringify(body), { status: error.status, headers });
}
