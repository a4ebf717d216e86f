import { z } from "@hono/zod-openapi";
import { InkwellError } from "@inkwell/shared";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value has the shape of the ids the edge hands out (UUIDs). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The `{id}` path parameter: bounded, not shaped. Ids are opaque, so one that cannot be ours is answered
 * like another user's (404 from `idOr404`), never with a 400 that tells the two apart.
 */
export function idParam(description?: string) {
  const id = z.string().max(64);
  return z.object({ id: description === undefined ? id : id.openapi({ description }) });
}

/** The id when it can be one of ours; anything else is simply not found (`notFound` is the message). */
export function idOr404(id: string, notFound: string): string {
  if (!UUID.test(id)) throw new InkwellError("NOT_FOUND", notFound);
  return id;
}
