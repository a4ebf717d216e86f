import { z } from "zod";
import type { StackPorts } from "./stack.ts";

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);

/** Ports of the local stack, each overridable by an environment variable. */
export const portsSchema = z.object({
  EDGE_PORT: port(8787),
  NODE_PORT: port(8788),
  NODE_ADMIN_PORT: port(9464),
  POSTGRES_PORT: port(54329),
  REDIS_PORT: port(6390),
  UPSTASH_REST_PORT: port(8079),
  QSTASH_PORT: port(8080),
  CHROMA_PORT: port(8000),
});

export function portsFromEnv(env: NodeJS.ProcessEnv): StackPorts {
  const parsed = portsSchema.safeParse(env);
  if (!parsed.success) {
    const bad = parsed.error.issues.map((i) => `${i.path.join(".")} (${i.message})`).join(", ");
    throw new Error(`Invalid port setting: ${bad}`);
  }
  const p = parsed.data;
  return {
    edge: p.EDGE_PORT,
    node: p.NODE_PORT,
    nodeAdmin: p.NODE_ADMIN_PORT,
    postgres: p.POSTGRES_PORT,
    redis: p.REDIS_PORT,
    redisRest: p.UPSTASH_REST_PORT,
    qstash: p.QSTASH_PORT,
    chroma: p.CHROMA_PORT,
  };
}
