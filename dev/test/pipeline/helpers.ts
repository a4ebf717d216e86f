import { type Entry, entrySchema, writerVectorCollectionName } from "@inkwell/shared";
import { ChromaClient } from "chromadb";
import postgres from "postgres";
import { expect } from "vitest";
import { signQStashDelivery } from "../../src/testing/qstash-signature.ts";

export { eventually } from "../../src/testing/eventually.ts";

export type Sql = ReturnType<typeof postgres>;

export function database(url: string): Sql {
  return postgres(url, { max: 4, onnotice: () => {} });
}

export interface Client {
  token: string;
  userId: string;
}

export function api(edgeUrl: string) {
  const request = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const headers = new Headers();
    if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
    if (init.body !== undefined) headers.set("Content-Type", "application/json");
    return await fetch(`${edgeUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });
  };
  return {
    request,
    async register(): Promise<Client> {
      // Each client from its own address: sign-up is limited per address, and these are many clients.
      const [a = 0, b = 0] = crypto.getRandomValues(new Uint16Array(2));
      const res = await fetch(`${edgeUrl}/v1/auth/register`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "CF-Connecting-IP": `2001:db8:${a.toString(16)}:${b.toString(16)}::1`,
        },
        body: JSON.stringify({
          email: `pipe-${crypto.randomUUID()}@example.test`,
          password: "correct horse battery",
        }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { accessToken: string; user: { id: string } };
      return { token: body.accessToken, userId: body.user.id };
    },
    async createEntry(client: Client, content: string, title?: string): Promise<Entry & { jobId: string }> {
      const res = await request("/v1/entries", {
        token: client.token,
        body: { content, ...(title ? { title } : {}) },
      });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      return entrySchema.parse(JSON.parse(text)) as Entry & { jobId: string };
    },
    async entry(client: Client, id: string): Promise<Entry> {
      const res = await request(`/v1/entries/${id}`, { token: client.token });
      expect(res.status).toBe(200);
      return entrySchema.parse(await res.json());
    },
    /** Fires the every-minute Cron Trigger now (`wrangler dev --test-scheduled`): the sweep's clock. */
    async sweep(): Promise<void> {
      const res = await fetch(`${edgeUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
      await res.body?.cancel();
    },
  };
}

export async function analysisCounts(sql: Sql, entryIds: string[]): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from entry_analyses where entry_id = any(${entryIds}::uuid[]) group by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export function chroma(url: string): ChromaClient {
  const parsed = new URL(url);
  return new ChromaClient({ host: parsed.hostname, port: Number(parsed.port), ssl: false });
}

/** Which of these entries' whole vectors the writer's own collection of the model holds. */
export async function chromaIds(
  client: ChromaClient,
  model: string,
  userId: string,
  ids: string[],
): Promise<string[]> {
  const collection = await client.getCollection({ name: writerVectorCollectionName(model, userId) });
  const got = await collection.get({ ids });
  return got.ids;
}

/** A QStash signature made with the stack's signing key: what only QStash should be able to produce. */
export async function qstashSignature(key: string, url: string, body: string): Promise<string> {
  return await signQStashDelivery({ key, url, body });
}
