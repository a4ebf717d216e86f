import { z } from "@hono/zod-openapi";
import { errorCodes, PROBLEM_CONTENT_TYPE } from "@inkwell/shared";

/** OpenAPI view of the shared problem schema (the shared package stays free of OpenAPI metadata). */
export const problemJson = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(errorCodes),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: "Problem details (RFC 9457)",
        content: { [PROBLEM_CONTENT_TYPE]: { schema: problemJson } },
      },
    ]),
  );
}
