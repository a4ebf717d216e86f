import { z } from "zod";

export const nodeStatusSchema = z.enum(["healthy", "draining", "offline"]);
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

export const gpuInfoSchema = z.object({
  name: z.string(),
  memoryMiB: z.number().int().nonnegative(),
  driverVersion: z.string().optional(),
});

/** What a node finds out about the machine it runs on. */
export const hardwareSchema = z.object({
  cpu: z.object({ model: z.string(), cores: z.number().int().positive(), arch: z.string() }),
  memory: z.object({ totalMiB: z.number().int().nonnegative(), freeMiB: z.number().int().nonnegative() }),
  cuda: z.object({
    available: z.boolean(),
    /** Why CUDA is not used, when it is not. */
    reason: z.string().optional(),
    driverVersion: z.string().optional(),
    gpus: z.array(gpuInfoSchema),
    /** Whether onnxruntime's CUDA execution provider loaded, checked only when the driver sees a GPU. */
    onnxRuntime: z.object({ available: z.boolean(), reason: z.string().optional() }).optional(),
  }),
  device: z.enum(["cuda", "cpu"]),
});
export type Hardware = z.infer<typeof hardwareSchema>;

export const nodeLoadSchema = z.object({
  queueDepth: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  capacity: z.number().int().positive(),
});
export type NodeLoad = z.infer<typeof nodeLoadSchema>;

/** What a model does; a node reports each model it serves with its task, and work asks for tasks. */
export const MODEL_TASKS = ["embedding", "sentiment", "emotion", "llm"] as const;
export const modelTaskSchema = z.enum(MODEL_TASKS);
export type ModelTask = z.infer<typeof modelTaskSchema>;

export const nodeModelSchema = z.object({
  id: z.string(),
  task: modelTaskSchema,
});

/** Body of `POST /internal/nodes/heartbeat`, sent by each node every few seconds. */
export const nodeHeartbeatSchema = z.object({
  version: z.string(),
  /**
   * The URL the node believes it is reachable at. Advisory: the edge keeps delivering to the URL an
   * administrator registered and only shows a different one to administrators (`reportedUrl`).
   */
  url: z.url().max(500).optional(),
  hardware: hardwareSchema,
  models: z.array(nodeModelSchema),
  load: nodeLoadSchema,
  draining: z.boolean().default(false),
});
export type NodeHeartbeat = z.infer<typeof nodeHeartbeatSchema>;

export const nodeHeartbeatReplySchema = z.object({
  nodeId: z.string(),
  status: nodeStatusSchema,
  /** Seconds until the node should send its next heartbeat. */
  nextHeartbeatInSeconds: z.number().int().positive(),
});
export type NodeHeartbeatReply = z.infer<typeof nodeHeartbeatReplySchema>;

/** `POST /v1/admin/nodes`: an operator registers a node by name and the URL QStash delivers to. */
export const createNodeRequestSchema = z.strictObject({
  name: z
    .string({ error: "name is required" })
    .trim()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, { error: "use letters, digits, dot, dash and underscore" }),
  url: z.url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" }).max(500),
});
export type CreateNodeRequest = z.infer<typeof createNodeRequestSchema>;

/** `PATCH /v1/admin/nodes/{id}`: an administrator moves a node to a new URL. */
export const updateNodeRequestSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" }).max(500),
});
export type UpdateNodeRequest = z.infer<typeof updateNodeRequestSchema>;

/** The answer to a registration: the token is shown this once; the node's NODE_TOKEN. */
export const createdNodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  token: z.string(),
});
export type CreatedNode = z.infer<typeof createdNodeSchema>;

export const adminNodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  /** Computed: healthy while heartbeats are fresh, draining once asked to, offline otherwise. */
  status: nodeStatusSchema,
  draining: z.boolean(),
  version: z.string().nullable(),
  lastHeartbeatAt: z.string().nullable(),
  hardware: z
    .object({
      cuda: z.boolean(),
      gpuName: z.string().nullable(),
      /** GPU memory when there is a GPU, else the machine's. */
      memoryMiB: z.number().int().nonnegative(),
      device: z.enum(["cuda", "cpu"]),
      cpuCores: z.number().int().positive(),
    })
    .nullable(),
  models: z.array(nodeModelSchema),
  load: nodeLoadSchema.nullable(),
  /** Jobs this edge has handed to the node that have not answered yet. */
  runningJobs: z.number().int().nonnegative(),
  /** A URL the node's heartbeat reports that differs from `url`; an administrator decides whether to move it. */
  reportedUrl: z.string().nullable(),
  createdAt: z.string(),
});
export type AdminNode = z.infer<typeof adminNodeSchema>;
