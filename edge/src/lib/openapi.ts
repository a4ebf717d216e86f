import { OpenAPIHono } from "@hono/zod-openapi";
import { InkwellError } from "@inkwell/shared";
import type { AppEnv } from "../hono-env.ts";
import { zodIssues } from "./problem.ts";

/** Every router of the edge is made here, so request validation fails the same way everywhere. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new InkwellError("VALIDATION_FAILED", "The request did not match the schema.", {
          errors: zodIssues(result.error),
        });
      }
    },
  });
}

/** The header every authenticated POST honours (`protect()` installs the middleware). */
export const IDEMPOTENCY_KEY_PARAMETER = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "Makes the POST safe to retry: a repeat with the same key and body within 24 hours replays the first " +
    "response (with `Idempotent-Replayed: true`) instead of running again, a streamed chat reply included; " +
    "the same key with another body, or while the first request is still running, answers 409 CONFLICT. " +
    "Keys are per user and per route.",
  schema: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,255}$" },
} as const;

interface OperationLike {
  security?: Record<string, unknown>[];
  parameters?: unknown[];
}

/**
 * Adds `Idempotency-Key` to every POST that a signed-in caller makes (bearer security): those are the
 * routes behind `protect()`, so the document and the middleware cannot drift apart, less `except` (the
 * routes whose answers hand out credentials, which are never stored).
 */
export function withIdempotencyKeyHeader<T extends { paths?: Record<string, unknown> }>(
  document: T,
  except: ReadonlySet<string> = new Set(),
): T {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const post = (item as { post?: OperationLike }).post;
    if (!post?.security?.some((requirement) => "bearer" in requirement)) continue;
    if (except.has(path)) continue;
    post.parameters = [...(post.parameters ?? []), IDEMPOTENCY_KEY_PARAMETER];
  }
  return document;
}
