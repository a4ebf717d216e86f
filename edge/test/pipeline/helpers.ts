import { signQStashDelivery } from "@inkwell/dev/testing/qstash-signature";
import type { AnalyzeEntryResult, CreatedNode, Hardware, NodeHeartbeat } from "@inkwell/shared";
import { Client as QStashClient } from "@upstash/qstash";
import { eq, inArray, sql } from "drizzle-orm";
import { expect } from "vitest";
import { jobs, nodes } from "../../src/db/schema/index.ts";
import type { PipelineDeps } from "../../src/services/job-dispatch.ts";
import { call, edgeEnv, type TestUser, testConfig, testDb } from "../harness.ts";

export { eventually } from "@inkwell/dev/testing/eventually";

/** What the job pipeline runs with in the Worker under test: the test database, QStash (the stand-in), the config. */
export function testPipelineDeps(overrides: Record<string, string> = {}): PipelineDeps {
  const config = testConfig(overrides);
  return {
    db: testDb(),
    qstash: new QStashClient({ baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN }),
    config,
  };
}

const encoder = new TextEncoder();

export function toBase64(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** An `Upstash-Signature` as QStash makes one: HS256, `sub` = the URL, `body` = base64url(SHA-256(body)). */
export async function qstashSignature(
  url: string,
  body: string,
  key = edgeEnv.QSTASH_CURRENT_SIGNING_KEY ?? "",
): Promise<string> {
  return await signQStashDelivery({ key, url, body });
}

export const CALLBACK = "/internal/qstash/callback";
export const FAILURE = "/internal/qstash/failure";

/** The URL QStash was told to call (EDGE_PUBLIC_URL + path): what its signature names. */
export const publicUrl = (path: string) => `${(edgeEnv.EDGE_PUBLIC_URL ?? "").replace(/\/+$/, "")}${path}`;

export interface CallbackInput {
  /** The QStash message the callback answers; a fresh one (never published by the edge) unless given. */
  messageId?: string;
  status?: number;
  /** The node's answer (JSON-encoded, then base64, as QStash forwards it). */
  answer?: unknown;
  /** The message QStash delivered (the job body). */
  source?: { jobId: string; attempt?: number } & Record<string, unknown>;
  error?: string;
}

export function callbackBody(input: CallbackInput): string {
  return JSON.stringify({
    status: input.status ?? 200,
    header: { "Content-Type": ["application/json"] },
    body: input.answer === undefined ? "" : toBase64(JSON.stringify(input.answer)),
    retried: 0,
    maxRetries: 3,
    sourceMessageId: input.messageId ?? `msg_${crypto.randomUUID()}`,
    url: "http://node.test/jobs/analyze-entry",
    method: "POST",
    ...(input.source ? { sourceBody: toBase64(JSON.stringify(input.source)) } : {}),
    ...(input.error ? { error: input.error } : {}),
  });
}

/**
 * Records a QStash message as published for `jobId` (as `dispatchJob` does once QStash accepted it) and
 * answers its id: the edge applies callbacks only for messages it published for that job.
 */
export async function recordDelivery(
  jobId: string,
  messageId = `msg_${crypto.randomUUID()}`,
): Promise<string> {
  await testDb()
    .update(jobs)
    .set({
      messageId,
      deliveredMessageIds: sql`array_append(${jobs.deliveredMessageIds}, ${messageId}::text)`,
    })
    .where(eq(jobs.id, jobId));
  return messageId;
}

/** The callback QStash would post for a delivery of the job named in `source`, recorded as published. */
export async function deliveredCallback(
  input: CallbackInput & { source: { jobId: string } },
): Promise<string> {
  return callbackBody({ ...input, messageId: input.messageId ?? (await recordDelivery(input.source.jobId)) });
}

/** Posts a QStash-signed callback (signed correctly unless told otherwise). */
export async function postSigned(
  path: string,
  body: string,
  options: { key?: string; signedBody?: string; signedUrl?: string; signature?: string | null } = {},
): Promise<Response> {
  const signature =
    options.signature === null
      ? undefined
      : (options.signature ??
        (await qstashSignature(
          options.signedUrl ?? publicUrl(path),
          options.signedBody ?? body,
          options.key,
        )));
  return await call(path, {
    body,
    headers: { "Content-Type": "application/json", ...(signature ? { "Upstash-Signature": signature } : {}) },
  });
}

/** What a node's analyze-entry answer looks like (real values come from the node in the dev pipeline tests). */
export function analysisResult(jobId: string, entryId: string, contentVersion: number): AnalyzeEntryResult {
  return {
    jobId,
    entryId,
    contentVersion,
    embedding: [0.6, 0.8, 0],
    model: "test-embed-3d",
    dims: 3,
    sentiment: { label: "positive", score: 0.72 },
    emotions: [
      { label: "joy", score: 0.8 },
      { label: "neutral", score: 0.2 },
    ],
    keywords: ["harbour", "gulls"],
    safety: { level: "none", reasons: [] },
    models: { embedding: "test-embed-3d", sentiment: "test-sentiment", emotion: "test-emotion" },
    indexed: true,
  };
}

export const fakeHardware: Hardware = {
  cpu: { model: "test cpu", cores: 4, arch: "x64" },
  memory: { totalMiB: 16_000, freeMiB: 8_000 },
  cuda: { available: true, driverVersion: "550.1", gpus: [{ name: "NVIDIA Test GPU", memoryMiB: 24_000 }] },
  device: "cuda",
};

/**
 * Nodes of the edge suite serve only a sentiment model: analyze-entry jobs here always wait for a node
 * (the dev pipeline tests run real nodes), purge jobs (no model needed) do get dispatched, and other
 * suites that look for an embedding or LLM node (search, chat) never find one of these.
 */
export function heartbeat(extra: Partial<NodeHeartbeat> = {}): NodeHeartbeat {
  return {
    version: "0.0.0-test",
    hardware: fakeHardware,
    models: [{ id: "test-sentiment", task: "sentiment" }],
    load: { queueDepth: 0, running: 0, capacity: 64 },
    draining: false,
    ...extra,
  };
}

const registered = new Set<string>();

export async function registerNode(
  admin: TestUser,
  name = `node-${crypto.randomUUID().slice(0, 8)}`,
  url = "http://127.0.0.1:9",
): Promise<CreatedNode> {
  const res = await call("/v1/admin/nodes", { token: admin.accessToken, body: { name, url } });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const node = JSON.parse(text) as CreatedNode;
  registered.add(node.id);
  return node;
}

/**
 * Removes the nodes this file registered: they point nowhere, and other suites (search, chat) expect
 * that no node is there to answer.
 */
export async function removeTestNodes(): Promise<void> {
  const ids = [...registered];
  registered.clear();
  if (ids.length > 0) await testDb().delete(nodes).where(inArray(nodes.id, ids));
}

export async function beat(token: string, body: NodeHeartbeat = heartbeat()): Promise<Response> {
  return await call("/internal/nodes/heartbeat", { token, body });
}
