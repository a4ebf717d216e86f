import { z } from "zod";

/** The one closed set of error codes shared by the edge and the inference nodes. */
export const errorCodes = [
  "VALIDATION_FAILED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "ACCOUNT_DISABLED",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "LOCKED",
  "RATE_LIMITED",
  "BAD_ENVIRONMENT",
  "NO_INFERENCE_NODE",
  "UPSTREAM_TIMEOUT",
  "UPSTREAM_UNAVAILABLE",
  "SERVICE_UNAVAILABLE",
  "INTERNAL",
] as const;

export const errorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/** Exhaustive: adding a code without a status is a type error. */
export const errorStatus: { readonly [C in ErrorCode]: number } = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  ACCOUNT_DISABLED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  LOCKED: 423,
  RATE_LIMITED: 429,
  BAD_ENVIRONMENT: 500,
  INTERNAL: 500,
  UPSTREAM_UNAVAILABLE: 502,
  NO_INFERENCE_NODE: 503,
  SERVICE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
};

export const errorTitle: { readonly [C in ErrorCode]: string } = {
  VALIDATION_FAILED: "The request is not valid",
  UNAUTHENTICATED: "Authentication is required",
  FORBIDDEN: "Not allowed",
  ACCOUNT_DISABLED: "Account disabled",
  NOT_FOUND: "Not found",
  METHOD_NOT_ALLOWED: "Method not allowed",
  CONFLICT: "Conflict",
  PRECONDITION_FAILED: "Precondition failed",
  PAYLOAD_TOO_LARGE: "Payload too large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
  LOCKED: "Locked",
  RATE_LIMITED: "Too many requests",
  BAD_ENVIRONMENT: "The server is misconfigured",
  NO_INFERENCE_NODE: "No inference node is available",
  UPSTREAM_TIMEOUT: "An upstream service timed out",
  UPSTREAM_UNAVAILABLE: "An upstream service failed",
  SERVICE_UNAVAILABLE: "Service unavailable",
  INTERNAL: "Internal error",
};

export const problemFieldErrorSchema = z.object({ path: z.string(), message: z.string() });
export type ProblemFieldError = z.infer<typeof problemFieldErrorSchema>;

/** RFC 9457 problem details, as every error response of the edge and the nodes carries. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: errorCodeSchema,
  detail: z.string(),
  requestId: z.string(),
  errors: z.array(problemFieldErrorSchema).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemType(code: ErrorCode): string {
  return `https://inkwell.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`;
}

export function makeProblem(
  code: ErrorCode,
  detail: string,
  requestId: string,
  errors?: ProblemFieldError[],
): Problem {
  return {
    type: problemType(code),
    title: errorTitle[code],
    status: errorStatus[code],
    code,
    detail,
    requestId,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** Thrown anywhere in the edge or a node; rendered as problem+json at the boundary. */
export class InkwellError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: ProblemFieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: ProblemFieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "InkwellError";
    this.code = code;
    this.status = errorStatus[code];
    this.errors = options.errors;
    this.headers = options.headers;
  }
}
