import { hc } from "hono/client";
import type { PublicApi } from "./api.ts";

export interface ClientOptions {
  /** An access token or an `ik_` API key. */
  token?: string;
  /** Another fetch (tests, proxies). */
  fetch?: typeof fetch;
}

/**
 * A typed client for Inkwell's API: `client.v1.entries.$post({ json: { content } })` and so on, with
 * request and response types taken from the routes themselves.
 */
export function createInkwellClient(baseUrl: string, options: ClientOptions = {}) {
  return hc<PublicApi>(baseUrl, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: (): Record<string, string> =>
      options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });
}

export type InkwellClient = ReturnType<typeof createInkwellClient>;
export type { PublicApi };

/** One server-sent event: its name ("message" where the block names none) and its data lines, joined. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/** One block of a `text/event-stream` body (the lines between two blank lines) as its event. */
export function parseServerSentEvent(block: string): ServerSentEvent {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  return { event, data: data.join("\n") };
}

/** The events of a whole `text/event-stream` body. */
export function serverSentEvents(body: string): ServerSentEvent[] {
  return body
    .split("\n\n")
    .filter((block) => block.trim())
    .map(parseServerSentEvent);
}

/**
 * Reads a `text/event-stream` body event by event as the bytes arrive (the chat reply). `onEvent` gets
 * each event and the number of the body read that completed it (which tells incremental delivery from
 * one burst); when it returns true, reading stops (the caller then disconnects).
 */
export async function readServerSentEvents(
  body: ReadableStream,
  onEvent: (event: ServerSentEvent, read: number) => unknown,
): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      read += 1;
      if (value) buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.trim() && onEvent(parseServerSentEvent(block), read) === true) return;
        end = buffer.indexOf("\n\n");
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
