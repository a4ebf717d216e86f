import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../hono-env.ts";
import { clientIp } from "../lib/client-ip.ts";
import { enforceRateLimit, type PolicyName, policies, principalLimit } from "../lib/rate-limit.ts";

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

/**
 * Limits a signed-in caller per user, whether they come with an access token or any of their API keys:
 * counted per key, a hundred keys would be a hundred budgets. Runs after `authenticate`.
 */
export const limitByPrincipal = createMiddleware<AppEnv>(async (c, next) => {
  const { policy, keyPrefix, identifier } = principalLimit(c.get("services").config, c.get("auth").userId);
  const headers = await enforceRateLimit(c, policy, identifier, keyPrefix);
  await next();
  applyHeaders(c.res, headers);
});
