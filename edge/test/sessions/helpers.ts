import { type ChatMessage, type ChatSession, chatMessageSchema, chatSessionSchema } from "@inkwell/shared";
import { type ServerSentEvent, serverSentEvents } from "../../src/client.ts";
import { json } from "../entries/helpers.ts";
import { call } from "../harness.ts";

export async function startSession(
  token: string,
  body: Record<string, unknown> = { type: "reflection_buddy" },
): Promise<ChatSession> {
  return chatSessionSchema.parse(await json(await call("/v1/sessions", { token, body }), 201));
}

export async function sessionMessages(token: string, id: string): Promise<ChatMessage[]> {
  const page = await json<{ items: unknown[] }>(
    await call(`/v1/sessions/${id}/messages?limit=100`, { token }),
    200,
  );
  return page.items.map((m) => chatMessageSchema.parse(m));
}

/** Reads a whole SSE body into its events. */
export async function readEvents(res: Response): Promise<ServerSentEvent[]> {
  return serverSentEvents(await res.text());
}
