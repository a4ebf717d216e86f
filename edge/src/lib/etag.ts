import { sha256Hex } from "@inkwell/shared";
import type { Context } from "hono";

/** A strong validator over the exact JSON a client receives. */
export async function etagOf(body: unknown): Promise<string> {
  return `"${(await sha256Hex(JSON.stringify(body))).slice(0, 32)}"`;
}

/** `If-None-Match` as RFC 9110 reads it: a list of tags or `*`, compared weakly. */
export function matchesIfNoneMatch(c: Context, etag: string): boolean {
  const header = c.req.header("If-None-Match");
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === bare);
}

/** `If-Match` compares strongly; absent means "no precondition". */
export function failsIfMatch(c: Context, etag: string): boolean {
  const header = c.req.header("If-Match");
  if (!header) return false;
  if (header.trim() === "*") return false;
  return !header.split(",").some((tag) => tag.trim() === etag);
}
