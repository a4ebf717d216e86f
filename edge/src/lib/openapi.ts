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
