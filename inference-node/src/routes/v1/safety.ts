import { InkwellError, type SafetyResult, safetyAssessRequestSchema } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { assessSafetyOnNode } from "../../analysis/safety-meaning.ts";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";

export interface SafetyRouteOptions extends Record<string, unknown> {
  runtime: InferenceRuntime;
}

/**
 * The edge asks here before it answers a chat message: the same assessor as entries (rules plus meaning
 * with this node's encoder). The text is never logged.
 */
export const safetyRoute: FastifyPluginAsync<SafetyRouteOptions> = async (fastify, { runtime }) => {
  fastify.post("/v1/safety/assess", async (request): Promise<SafetyResult> => {
    const parsed = safetyAssessRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The request body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    return await assessSafetyOnNode(runtime, parsed.data.text);
  });
};
