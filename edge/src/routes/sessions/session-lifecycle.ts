import { createRoute, z } from "@hono/zod-openapi";
import { chatSessionSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { generateText } from "../../services/chat-llm.ts";
import { endSession, setSessionPaused } from "../../services/session-lifecycle.ts";

const idParam = z.object({ id: z.string().max(64) });

/** How long ending a session waits for a model's summary before the extractive one is stored. */
const SUMMARY_TIMEOUT_MS = 20_000;

const pause = createRoute({
  method: "post",
  path: "/v1/sessions/{id}/pause",
  tags: ["Chat sessions"],
  summary: "Pause a conversation: it takes no new messages until resumed",
  description:
    "A paused session answers `409 CONFLICT` to a new message. Pausing a paused session changes nothing; " +
    "an ended session cannot be paused (409).",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: { params: idParam },
  responses: {
    200: { description: "The session", content: { "application/json": { schema: chatSessionSchema } } },
    ...problemResponses(401, 403, 404, 409, 429),
  },
});

const resume = createRoute({
  method: "post",
  path: "/v1/sessions/{id}/resume",
  tags: ["Chat sessions"],
  summary: "Resume a paused conversation",
  description:
    "Resuming an active session changes nothing; an ended session cannot be resumed (409): start a new one.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: { params: idParam },
  responses: {
    200: { description: "The session", content: { "application/json": { schema: chatSessionSchema } } },
    ...problemResponses(401, 403, 404, 409, 429),
  },
});

const end = createRoute({
  method: "post",
  path: "/v1/sessions/{id}/end",
  tags: ["Chat sessions"],
  summary: "End a conversation for good and keep its summary",
  description:
    "Stores the session's `summary`: written by a node's language model when one answers within 20 seconds " +
    "(`generated: true`), otherwise made from the topics of your own messages (`generated: false`), never " +
    "invented. The session then takes no new messages (409) and shows the summary in `GET /v1/sessions/{id}` " +
    "and the export. Ending an ended session answers it unchanged.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: { params: idParam },
  responses: {
    200: { description: "The ended session", content: { "application/json": { schema: chatSessionSchema } } },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const sessionLifecycleRoutes = createRouter()
  .openapi(pause, async (c) =>
    c.json(
      await setSessionPaused(
        c.get("services").db,
        c.get("services").dataKeys,
        c.get("auth").userId,
        c.req.valid("param").id,
        true,
      ),
      200,
    ),
  )
  .openapi(resume, async (c) =>
    c.json(
      await setSessionPaused(
        c.get("services").db,
        c.get("services").dataKeys,
        c.get("auth").userId,
        c.req.valid("param").id,
        false,
      ),
      200,
    ),
  )
  .openapi(end, async (c) => {
    const services = c.get("services");
    const session = await endSession(
      services.db,
      services.dataKeys,
      c.get("auth").userId,
      c.req.valid("param").id,
      (prompt) => generateText(services, prompt, c.get("requestId"), SUMMARY_TIMEOUT_MS),
    );
    return c.json(session, 200);
  });
