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
