import { z } from "@hono/zod-openapi";
import { entrySchema, entryVersionParamSchema, InkwellError } from "@inkwell/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { etagOf } from "../../lib/etag.ts";

export const entryJson = entrySchema;

/** Ids are opaque: anything that is not one of ours is simply not found. */
export const idParam = z.object({ id: z.string().max(64).openapi({ description: "Entry id" }) });

/** `/v1/entries/{id}/versions/{version}`. */
export const versionParams = idParam.extend({
  version: entryVersionParamSchema.describe("Version number, from 1"),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function entryIdFrom(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!UUID.test(id)) throw new InkwellError("NOT_FOUND", "No entry with that id.");
  return id;
}

/** A JSON response with a strong ETag over exactly the bytes sent. */
export async function withEtag(c: Context<AppEnv>, body: unknown): Promise<string> {
  const etag = await etagOf(body);
  c.header("ETag", etag);
  // Journal text is never stored by a browser or proxy; a client that keeps the ETag itself still gets
  // its 304 from If-None-Match.
  c.header("Cache-Control", "no-store");
  return etag;
}
