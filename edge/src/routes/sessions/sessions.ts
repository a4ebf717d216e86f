import { createRoute, z } from "@hono/zod-openapi";
import {
  type ChatSuggestionsEvent,
  chatMessageSchema,
  chatSessionSchema,
  createdSessionSchema,
  createSessionRequestSchema,
  pageQuerySchema,
  pageSchema,
  sendMessageRequestSchema,
  sessionTypes,
  updateSessionRequestSchema,
} from "@inkwell/shared";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { coalesceText } from "../../lib/coalesce-text.ts";
import { decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { holdReplySlot } from "../../lib/reply-slots.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import {
  createSession,
  deleteSession,
  fallbackReply,
  getSession,
  listMessages,
  listSessions,
  prepareReply,
  storeAssistantMessage,
  updateSession,
} from "../../services/chat.ts";
import { knowledgeSearch, nodeSafety, openLlmStream } from "../../services/chat-llm.ts";
import { SESSION_TYPES } from "../../services/chat-prompts.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { searchJournal } from "../../services/semantic-search.ts";
import { requestSessionTitle } from "../../services/session-titles.ts";

/**
 * Tokens arriving within this many milliseconds of the last event go out together in the next one: a
 * fast model streams a few events per frame instead of hundreds per second, and a slow one is unchanged.
 */
const TOKEN_EVENT_WINDOW_MS = 25;

const idParam = z.object({ id: z.string().max(64) });
const guard = () => protect(requireScope("ai"));

const listTypes = createRoute({
  method: "get",
  path: "/v1/sessions/types",
  tags: ["Chat sessions"],
  summary: "The kinds of conversation you can start",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "Session types, in a fixed order, a page at a time",
      content: {
        "application/json": {
          schema: pageSchema(
            z.object({ type: z.enum(sessionTypes), name: z.string(), description: z.string() }),
          ),
        },
      },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

/** The name the session-type list's cursors are signed for. */
const SESSION_TYPE_CURSOR = "session-types";

const create = createRoute({
  method: "post",
  path: "/v1/sessions",
  tags: ["Chat sessions"],
  summary: "Start a conversation grounded in your journal",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: {
    body: { required: true, content: { "application/json": { schema: createSessionRequestSchema } } },
  },
  responses: {
    201: {
      description:
        "Created; with `greeting: true` the session opens with the assistant's greeting, answered as `greeting` " +
        'and stored as its first message (`kind: "greeting"`)',
      content: { "application/json": { schema: createdSessionSchema } },
    },
    ...problemResponses(400, 401, 403, 415, 429),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/sessions",
  tags: ["Chat sessions"],
  summary: "Your conversations, most recent first",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of sessions",
      content: { "application/json": { schema: pageSchema(chatSessionSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/sessions/{id}",
  tags: ["Chat sessions"],
  summary: "One conversation",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: { params: idParam },
  responses: {
    200: { description: "The session", content: { "application/json": { schema: chatSessionSchema } } },
    ...problemResponses(401, 403, 404, 429),
  },
});

const patch = createRoute({
  method: "patch",
  path: "/v1/sessions/{id}",
  tags: ["Chat sessions"],
  summary: "Rename or tag a conversation",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: {
    params: idParam,
    body: { required: true, content: { "application/json": { schema: updateSessionRequestSchema } } },
  },
  responses: {
    200: { description: "The session", content: { "application/json": { schema: chatSessionSchema } } },
    ...problemResponses(400, 401, 403, 404, 415, 429),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/sessions/{id}",
  tags: ["Chat sessions"],
  summary: "Delete a conversation and its messages",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

const messages = createRoute({
  method: "get",
  path: "/v1/sessions/{id}/messages",
  tags: ["Chat sessions"],
  summary: "Messages of a conversation, oldest first",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: { params: idParam, query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of messages",
      content: { "application/json": { schema: pageSchema(chatMessageSchema) } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const send = createRoute({
  method: "post",
  path: "/v1/sessions/{id}/messages",
  tags: ["Chat sessions"],
  summary:
    "Send a message; with `Accept: text/event-stream` the reply streams as `token` events, one `suggestions` event `{messageId, suggestions}` (the follow-up questions the stored message carries too), then one `done` event carrying the stored message, always the last",
  security: [{ bearer: [] }],
  middleware: guard(),
  request: {
    params: idParam,
    body: { required: true, content: { "application/json": { schema: sendMessageRequestSchema } } },
  },
  responses: {
    200: {
      description: "The assistant's stored reply (or an SSE stream of it)",
      content: {
        "application/json": { schema: chatMessageSchema },
        "text/event-stream": { schema: z.string() },
      },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
  },
});

export const sessionRoutes = createRouter()
  .openapi(listTypes, async (c) => {
    const secret = c.get("services").config.JWT_SECRET;
    const { limit, cursor } = c.req.valid("query");
    const all = Object.values(SESSION_TYPES).map(({ type, name, description }) => ({
      type,
      name,
      description,
    }));
    let start = 0;
    if (cursor) {
      const [afterType] = await decodeKeyCursor(secret, SESSION_TYPE_CURSOR, cursor, 1);
      // A type removed since the cursor was issued: the list has moved on, so the page is empty.
      const index = all.findIndex((item) => item.type === afterType);
      start = index === -1 ? all.length : index + 1;
    }
    const items = all.slice(start, start + limit);
    const last = items.at(-1);
    const nextCursor =
      start + limit < all.length && last
        ? await encodeKeyCursor(secret, SESSION_TYPE_CURSOR, [last.type])
        : null;
    return c.json({ items, nextCursor }, 200);
  })
  .openapi(create, async (c) => {
    const { db, dataKeys } = c.get("services");
    const session = await createSession(db, dataKeys, c.get("auth").userId, c.req.valid("json"));
    c.header("Location", `/v1/sessions/${session.id}`);
    return c.json(session, 201);
  })
  .openapi(list, async (c) => {
    const { db, config, dataKeys } = c.get("services");
    const query = c.req.valid("query");
    const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
    const { items, last } = await listSessions(db, dataKeys, c.get("auth").userId, query.limit, after);
    return c.json({ items, nextCursor: last ? await encodeCursor(config.JWT_SECRET, last) : null }, 200);
  })
  .openapi(get, async (c) => {
    const { db, dataKeys } = c.get("services");
    return c.json(await getSession(db, dataKeys, c.get("auth").userId, c.req.valid("param").id), 200);
  })
  .openapi(patch, async (c) =>
    c.json(
      await updateSession(
        c.get("services").db,
        c.get("services").dataKeys,
        c.get("auth").userId,
        c.req.valid("param").id,
        c.req.valid("json"),
      ),
      200,
    ),
  )
  .openapi(remove, async (c) => {
    await deleteSession(c.get("services").db, c.get("auth").userId, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(messages, async (c) => {
    const { db, config, dataKeys } = c.get("services");
    const query = c.req.valid("query");
    const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
    const { items, last } = await listMessages(
      db,
      dataKeys,
      c.get("auth").userId,
      c.req.valid("param").id,
      query.limit,
      after,
    );
    return c.json({ items, nextCursor: last ? await encodeCursor(config.JWT_SECRET, last) : null }, 200);
  })
  .openapi(send, async (c) => {
    const services = c.get("services");
    const userId = c.get("auth").userId;
    const sessionId = c.req.valid("param").id;
    const context = await prepareReply(
      services.db,
      services.dataKeys,
      userId,
      sessionId,
      c.req.valid("json").content,
      (text, limit) => knowledgeSearch(services, text, limit),
      (text) => nodeSafety(services, text),
      // The search route's hybrid search, so a paraphrased message cites the entries it means.
      async (text, limit) => {
        const found = await searchJournal(
          services,
          userId,
          "hybrid",
          { q: text.slice(0, 500), limit },
          c.get("requestId"),
        );
        return found.degraded ? null : found.items.map((item) => item.entry.id);
      },
    );
    // After the reply: a few messages in, the session is named by a node's model (a job) or from keywords.
    const titleLater = () =>
      inBackground(c, "requesting a session title", () =>
        requestSessionTitle(pipelineDeps(c), userId, sessionId),
      );
    // A user has a few replies generating at once at most, streamed or not (the shared model pool).
    const releaseSlot = await holdReplySlot(services, userId, c.get("requestId"));
    // Aborted when the client goes away: the node stops generating too.
    const upstream = new AbortController();
    let llm: Awaited<ReturnType<typeof openLlmStream>>;
    try {
      llm = await openLlmStream(services, context, upstream.signal, c.get("requestId"));
    } catch (err) {
      releaseSlot();
      throw err;
    }
    const wantsStream = (c.req.header("Accept") ?? "").includes("text/event-stream");

    if (!wantsStream) {
      try {
        let text = "";
        if (llm) for await (const token of llm.tokens) text += token;
        const reply = await storeAssistantMessage(services.db, services.dataKeys, userId, context, {
          content: llm ? text : fallbackReply(context),
          status: "complete",
          generated: Boolean(llm),
          model: llm?.model ?? null,
        });
        titleLater();
        return c.json(reply, 200);
      } finally {
        releaseSlot();
      }
    }

    const relayReply = async (stream: SSEStreamingApi): Promise<void> => {
      let text = "";
      let aborted = false;
      // The runtime cancels the response body when the client goes away.
      stream.onAbort(() => {
        aborted = true;
        upstream.abort();
      });
      try {
        if (llm) {
          for await (const piece of coalesceText(llm.tokens, TOKEN_EVENT_WINDOW_MS)) {
            if (aborted) break;
            text += piece;
            await stream.writeSSE({ event: "token", data: JSON.stringify({ text: piece }) });
          }
        } else {
          text = fallbackReply(context);
          await stream.writeSSE({ event: "token", data: JSON.stringify({ text }) });
        }
      } catch {
        aborted = aborted || upstream.signal.aborted;
      }
      const reply = await storeAssistantMessage(services.db, services.dataKeys, userId, context, {
        content: text,
        status: aborted ? "incomplete" : "complete",
        generated: Boolean(llm),
        model: llm?.model ?? null,
      });
      titleLater();
      if (!aborted) {
        // `done` stays the stream's last event (clients stop reading there); the suggestions come just before.
        const event: ChatSuggestionsEvent = { messageId: reply.id, suggestions: reply.suggestions };
        await stream.writeSSE({ event: "suggestions", data: JSON.stringify(event) });
        await stream.writeSSE({ event: "done", data: JSON.stringify(reply) });
      }
    };

    return streamSSE(c, async (stream) => {
      // Under waitUntil: when the client disconnects the runtime cancels the request's own work, and the
      // partial reply must still be stored (as incomplete) after that.
      const relay = relayReply(stream).finally(releaseSlot);
      c.executionCtx.waitUntil(relay);
      await relay;
    });
  });
