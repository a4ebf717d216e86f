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

export const nodeModelSchema = z.object({
  id: z.string(),
  task: z.enum(["embedding", "sentiment", "emotion", "llm"]),
});

/** Body of `POST /internal/nodes/heartbeat`, sent by each node every few seconds. */
export const nodeHeartbeatSchema = z.object({
  version: z.string(),
  url: z.url().optional(),
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
