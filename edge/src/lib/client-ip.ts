import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";

/**
 * The caller's address as Cloudflare saw it. An IPv6 client usually holds a whole /64, so limits key
 * on that prefix; otherwise one attacker would have 2^64 separate budgets.
 */
export function clientIp(c: Context<AppEnv>): string {
  const raw = (c.req.header("CF-Connecting-IP") ?? "").trim();
  if (!raw) return "unknown";
  if (!raw.includes(":")) return raw;
  return ipv6Prefix64(raw) ?? raw;
}

function ipv6Prefix64(address: string): string | undefined {
  const [head = "", tail] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  if (tail === undefined && left.length !== 8) return undefined;
  const missing = 8 - left.length - right.length;
  if (missing < 0) return undefined;
  const groups = [...left, ...Array<string>(missing).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
