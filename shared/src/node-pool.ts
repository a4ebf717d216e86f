import { z } from "zod";
import { nodeModelSchema } from "./nodes.ts";
import { pageSchema } from "./pagination.ts";

/** Prefix of join secrets, so one pasted into NODE_TOKEN (or the reverse) is recognisable. */
export const JOIN_SECRET_PREFIX = "njs_";

/**
 * A host a join secret lets replicas enroll under, as `URL.host` spells it (`hostname[:port]`); `*` stands
 * for one DNS label or one port, never a dot or a colon: `*.nodes.example.com`, `10.0.0.7:*`.
 */
export const allowedHostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9*]([a-z0-9*.-]*[a-z0-9*])?(:([0-9]{1,5}|\*))?$/, {
    error: "use a host such as node-1.example.com, *.nodes.example.com or 10.0.0.7:*",
  });

/** Whether a node URL's host is one a join secret allows. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const lower = host.toLowerCase();
  return patterns.some((pattern) => {
    const source = pattern
      .toLowerCase()
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[a-z0-9-]+");
    return new RegExp(`^${source}$`).test(lower);
  });
}

/** `POST /v1/admin/join-secrets`: what replicas enrolling with the secret are called and where they may be. */
export const createJoinSecretRequestSchema = z.strictObject({
  name: z
    .string({ error: "name is required" })
    .trim()
    .min(1)
    .max(40)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, { error: "use letters, digits, dot, dash and underscore" }),
  /**
   * The hosts enrolled replicas may give as their URL. A node's URL is where entry text and chat prompts
   * go, so a join secret cannot hand that choice to whoever holds it: the administrator bounds it here.
   */
  allowedHosts: z.array(allowedHostSchema).min(1).max(20),
});
export type CreateJoinSecretRequest = z.infer<typeof createJoinSecretRequestSchema>;

export const joinSecretSchema = z.object({
  id: z.string(),
  name: z.string(),
  allowedHosts: z.array(z.string()),
  /** Nodes that enrolled with this secret and are still registered. */
  nodes: z.number().int().nonnegative(),
  createdAt: z.string(),
  /** Set once revoked: no replica can enroll with it any more. */
  revokedAt: z.string().nullable(),
});
export type JoinSecret = z.infer<typeof joinSecretSchema>;

/** The answer to creating a join secret: the secret (the replicas' NODE_JOIN_SECRET) is shown this once. */
export const createdJoinSecretSchema = joinSecretSchema.extend({ secret: z.string() });
export type CreatedJoinSecret = z.infer<typeof createdJoinSecretSchema>;

/** A page of join secrets, newest first. */
export const joinSecretListSchema = pageSchema(joinSecretSchema);

/** Body of `POST /internal/nodes/enroll`, sent by a replica that starts with NODE_JOIN_SECRET. */
export const nodeEnrollRequestSchema = z.strictObject({
  /** The replica's own name (its host name by default); the edge prefixes it with the join secret's name. */
  name: z
    .string()
    .trim()
    .min(1)
    .max(63)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, { error: "use letters, digits, dot, dash and underscore" }),
  /** Where QStash and the edge reach this replica: one of the join secret's allowed hosts. */
  url: z.url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" }).max(500),
});
export type NodeEnrollRequest = z.infer<typeof nodeEnrollRequestSchema>;

/** The replica's own identity: its token is what it heartbeats with and what the edge signs requests to it with. */
export const nodeEnrollReplySchema = z.object({
  nodeId: z.string(),
  name: z.string(),
  url: z.string(),
  token: z.string(),
});
export type NodeEnrollReply = z.infer<typeof nodeEnrollReplySchema>;

const seconds = z.number().nonnegative();

/** Jobs of one kind the edge holds: waiting for a node, or handed to one and not answered yet. */
export const poolJobKindSchema = z.object({
  kind: z.string(),
  /** The model tasks a node must serve to run it (none: any node). */
  needs: z.array(nodeModelSchema.shape.task),
  waiting: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  /** Age of the oldest waiting job; 0 when none waits. */
  oldestWaitingSeconds: seconds,
});

/** One model task across the pool: the figure to scale the nodes serving it by. */
export const poolTaskSchema = z.object({
  task: nodeModelSchema.shape.task,
  waiting: z.number().int().nonnegative(),
  oldestWaitingSeconds: seconds,
  healthyNodes: z.number().int().nonnegative(),
  utilisation: z.number().min(0).max(1),
});

/** `GET /v1/admin/pool`: what an autoscaler reads to add or remove nodes. */
export const poolSignalSchema = z.object({
  at: z.string(),
  nodes: z.object({
    healthy: z.number().int().nonnegative(),
    draining: z.number().int().nonnegative(),
    offline: z.number().int().nonnegative(),
    /** Healthy nodes with work in hand (jobs handed to them, or a queue of their own). */
    busy: z.number().int().nonnegative(),
  }),
  jobs: z.object({
    waiting: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    oldestWaitingSeconds: seconds,
  }),
  /**
   * Share of the healthy nodes that have work in hand (`busy / healthy`), 0 with no healthy node. Near 1
   * with jobs waiting: add nodes; low with nothing waiting: a node can be drained and stopped.
   */
  utilisation: z.number().min(0).max(1),
  tasks: z.array(poolTaskSchema),
  kinds: z.array(poolJobKindSchema),
});
export type PoolSignal = z.infer<typeof poolSignalSchema>;
