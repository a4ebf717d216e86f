import { entrySchema, entryVersionParamSchema } from "@inkwell/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { etagOf } from "../../lib/etag.ts";
import { idOr404, idParam as idParamOf } from "../../lib/ids.ts";

export const entryJson = entrySchema;

/** Ids are opaque: anything that is not one of ours is simply not found. */
export const idParam = idParamOf("Entry id");

/** `/v1/entries/{id}/versions/{version}`. */
export const versionParams = idParam.extend({
  version: entryVersionParamSchema.describe("Version number, from 1"),
});

export function entryIdFrom(c: Context<AppEnv>): string {
  return idOr404(c.req.param("id") ?? "", "No entry with that id.");
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
