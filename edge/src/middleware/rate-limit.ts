import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../hono-env.ts";
import { clientIp } from "../lib/client-ip.ts";
import { enforceRateLimit, type PolicyName, policies } from "../lib/rate-limit.ts";

function applyHeaders(res: Response, headers: Record<string, string> | undefined): void {
  if (!headers) return;
  for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
}

/** Limits anonymous routes per client address (`CF-Connecting-IP`). */
export function limitByIp(policy: Exclude<PolicyName, "principal">) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const chosen = policies(c.get("services").config)[policy];
    const headers = await enforceRateLimit(c, chosen, clientIp(c));
    await next();
    applyHeaders(c.res, headers);
  });
}

/** Limits a signed-in caller: per user for access tokens, per key for API keys. Runs after `authenticate`. */
export const limitByPrincipal = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get("auth");
  const identifier = auth.via === "api_key" ? `key:${auth.apiKeyId}` : `user:${auth.userId}`;
  const headers = await enforceRateLimit(c, policies(c.get("services").config).principal, identifier);
  await next();
  applyHeaders(c.res, headers);
});
