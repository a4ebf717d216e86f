import type { InkwellError } from "@inkwell/shared";
import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { clientIp } from "../lib/client-ip.ts";
import { enforceRateLimit, policies, refuseWhenSpent } from "../lib/rate-limit.ts";

/**
 * Failed authentications per client address. Credentials that cost a lookup (an API key the cache does
 * not know, a node token, a session whose state is read) are refused with 429 before the lookup once
 * the address has spent its budget of failures, so guessing keys costs the guesser, not Postgres.
 */
export async function refuseAddressOverFailureBudget(c: Context<AppEnv>): Promise<void> {
  await refuseWhenSpent(c, policies(c.get("services").config).authFailures, clientIp(c));
}

/** Counts a failed authentication against the address, then throws it (or 429 once over budget). */
export async function failAuthentication(c: Context<AppEnv>, error: InkwellError): Promise<never> {
  await enforceRateLimit(c, policies(c.get("services").config).authFailures, clientIp(c));
  throw error;
}
