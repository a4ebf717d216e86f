import {
  type ErrorCode,
  InkwellError,
  makeProblem,
  PROBLEM_CONTENT_TYPE,
  type ProblemFieldError,
} from "@inkwell/shared";
import type { FastifyError, FastifyReply } from "fastify";
import { z } from "zod";
import { globalPlugin } from "./global-plugin.ts";

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  errors?: ProblemFieldError[],
): FastifyReply {
  const problem = makeProblem(code, detail, reply.request.id, errors);
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

export function zodFieldErrors(error: z.ZodError): ProblemFieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

/** Fastify and its plugins signal client errors with a status; map each to the shared code. */
const codeForStatus: Readonly<Record<number, ErrorCode>> = {
  400: "VALIDATION_FAILED",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  412: "PRECONDITION_FAILED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  423: "LOCKED",
  429: "RATE_LIMITED",
  502: "UPSTREAM_UNAVAILABLE",
  503: "SERVICE_UNAVAILABLE",
  504: "UPSTREAM_TIMEOUT",
};

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).statusCode === "number";
}

/** Turns anything thrown into an InkwellError whose detail is safe to show to the caller. */
export function toInkwellError(error: unknown): InkwellError {
  if (error instanceof InkwellError) return error;
  if (error instanceof z.ZodError) {
    return new InkwellError("VALIDATION_FAILED", "The request body is not valid", {
      errors: zodFieldErrors(error),
      cause: error,
    });
  }
  if (isFastifyError(error)) {
    const status = error.statusCode ?? 500;
    if (error.validation) {
      return new InkwellError("VALIDATION_FAILED", error.message, {
        errors: error.validation.map((v) => ({ path: v.instancePath || "(root)", message: v.message ?? "" })),
        cause: error,
      });
    }
    const code = codeForStatus[status];
    // Errors that carry a status were raised on purpose (by Fastify or a plugin) and describe the
    // request or the load, not the server's internals, so their message is fine to show.
    if (code !== undefined) return new InkwellError(code, error.message, { cause: error });
    if (status >= 400 && status < 500) {
      return new InkwellError("VALIDATION_FAILED", error.message, { cause: error });
    }
  }
  return new InkwellError("INTERNAL", "An unexpected error occurred", { cause: error });
}

export const errorHandler = globalPlugin("error-handler", async (fastify) => {
  fastify.setErrorHandler((error, request, reply) => {
    const inkwellError = toInkwellError(error);
    if (inkwellError.status >= 500) {
      request.log.error({ err: error, code: inkwellError.code }, "request failed");
    } else {
      request.log.info({ code: inkwellError.code, detail: inkwellError.message }, "request rejected");
    }
    if (inkwellError.headers) reply.headers(inkwellError.headers);
    return sendProblem(reply, inkwellError.code, inkwellError.message, inkwellError.errors);
  });

  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]?.slice(0, 200) ?? "";
    return sendProblem(reply, "NOT_FOUND", `No route for ${request.method} ${path}`);
  });
});
