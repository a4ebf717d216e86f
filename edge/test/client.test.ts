import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createInkwellClient, readServerSentEvents, serverSentEvents } from "../src/client.ts";
import { BASE_URL, login, newPassword, randomIp, registerAdmin, registerUser } from "./harness.ts";

/** The typed client, talking to the Worker under test as a client on its own address would. */
function client(token: string) {
  const ip = randomIp();
  return createInkwellClient(BASE_URL, {
    token,
    fetch: (input, init) => {
      const request = new Request(input, init);
      request.headers.set("CF-Connecting-IP", ip);
      return SELF.fetch(request);
    },
  });
}

describe("the typed client", () => {
  it("pages topics, reads one, filters entries by mood, polls the entry's job and asks for techniques", async () => {
    const user = await registerUser();
    const api = client(user.accessToken);
    for (const name of ["Sleep", "Work", "Family"]) {
      expect((await api.v1.topics.$post({ json: { name } })).status).toBe(201);
    }
    const first = await api.v1.topics.$get({ query: { limit: "2" } });
    expect(first.status).toBe(200);
    if (first.status !== 200) return;
    const page = await first.json();
    expect(page.items.map((t) => t.name)).toEqual(["Family", "Sleep"]);
    const rest = await api.v1.topics.$get({ query: { limit: "2", cursor: page.nextCursor ?? "" } });
    if (rest.status !== 200) throw new Error(`status ${rest.status}`);
    expect((await rest.json()).items.map((t) => t.name)).toEqual(["Work"]);

    const id = page.items[0]?.id ?? "";
    const one = await api.v1.topics[":id"].$get({ param: { id } });
    if (one.status !== 200) throw new Error(`status ${one.status}`);
    expect((await one.json()).name).toBe("Family");

    const created = await api.v1.entries.$post({ json: { content: "A calm evening.", mood: 7 } });
    if (created.status !== 201) throw new Error(`status ${created.status}`);
    const entry = await created.json();
    const listed = await api.v1.entries.$get({ query: { mood: "6-8" } });
    if (listed.status !== 200) throw new Error(`status ${listed.status}`);
    const items = (await listed.json()).items;
    expect(items.map((e) => e.id)).toEqual([entry.id]);
    expect(items[0]?.jobId).toBe(entry.jobId);
    const job = await api.v1.jobs[":id"].$get({ param: { id: entry.jobId ?? "" } });
    expect(job.status).toBe(200);

    const techniques = await api.v1.psychology.techniques.$get({ query: { issue: "overthinking" } });
    if (techniques.status !== 200) throw new Error(`status ${techniques.status}`);
    expect((await techniques.json()).issue).toBe("rumination");
  });

  it("edits an entry, pages its versions, reads and restores one, and asks for a fresh analysis", async () => {
    const user = await registerUser();
    const api = client(user.accessToken);
    const created = await api.v1.entries.$post({ json: { content: "First words." } });
    if (created.status !== 201) throw new Error(`status ${created.status}`);
    const { id } = await created.json();
    const edited = await api.v1.entries[":id"].$patch({ param: { id }, json: { content: "Second words." } });
    expect(edited.status).toBe(200);

    const versions = await api.v1.entries[":id"].versions.$get({ param: { id }, query: { limit: "1" } });
    if (versions.status !== 200) throw new Error(`status ${versions.status}`);
    const page = await versions.json();
    expect(page.items.map((v) => [v.version, v.content, v.current])).toEqual([[2, "Second words.", true]]);
    expect(page.nextCursor).not.toBeNull();

    const one = await api.v1.entries[":id"].versions[":version"].$get({ param: { id, version: "1" } });
    if (one.status !== 200) throw new Error(`status ${one.status}`);
    expect((await one.json()).content).toBe("First words.");

    const restored = await api.v1.entries[":id"].versions[":version"].restore.$post({
      param: { id, version: "1" },
    });
    if (restored.status !== 200) throw new Error(`status ${restored.status}`);
    const entry = await restored.json();
    expect(entry.content).toBe("First words.");
    expect(entry.analysis.status).toBe("pending");

    const again = await api.v1.entries[":id"].reanalyze.$post({ param: { id } });
    if (again.status !== 202) throw new Error(`status ${again.status}`);
    // The restore's analysis is still pending: that job is the answer.
    expect(await again.json()).toEqual({ jobId: entry.jobId, created: false });
  });

  it("reads the security view, ends a sign-in, and sets a new password with an administrator's reset", async () => {
    const [user, admin] = await Promise.all([registerUser(), registerAdmin()]);
    const api = client(user.accessToken);
    const view = await api.v1.me.security.$get();
    if (view.status !== 200) throw new Error(`status ${view.status}`);
    const { sessions, apiKeys } = await view.json();
    expect(apiKeys).toEqual([]);
    const [session] = sessions;
    if (!session) throw new Error("no signed-in session listed");
    const ended = await api.v1.me.sessions[":id"].$delete({ param: { id: session.id } });
    expect(ended.status).toBe(204);

    const forgot = await client("").v1.auth["forgot-password"].$post({ json: { email: user.email } });
    if (forgot.status !== 202) throw new Error(`status ${forgot.status}`);
    expect(await forgot.json()).toEqual({ accepted: true });
    const issued = await client(admin.accessToken).v1.admin.users[":id"]["password-reset"].$post({
      param: { id: user.id },
    });
    if (issued.status !== 201) throw new Error(`status ${issued.status}`);
    const { token } = await issued.json();
    const newPasswordValue = newPassword();
    const reset = await client("").v1.auth["reset-password"].$post({
      json: { token, newPassword: newPasswordValue },
    });
    if (reset.status !== 200) throw new Error(`status ${reset.status}`);
    expect(await reset.json()).toEqual({ revokedApiKeys: 0 });
    expect((await login(user.email, newPasswordValue, randomIp())).status).toBe(200);
  });

  it("administers an account and pages the operator lists", async () => {
    const [user, admin] = await Promise.all([registerUser(), registerAdmin()]);
    const api = client(admin.accessToken);
    const detail = await api.v1.admin.users[":id"].$get({ param: { id: user.id } });
    if (detail.status !== 200) throw new Error(`status ${detail.status}`);
    expect((await detail.json()).email).toBe(user.email);
    const signedOut = await api.v1.admin.users[":id"]["sign-out"].$post({ param: { id: user.id } });
    expect(signedOut.status).toBe(204);
    const enabled = await api.v1.admin.users[":id"].enable.$post({ param: { id: user.id } });
    if (enabled.status !== 200) throw new Error(`status ${enabled.status}`);
    expect((await enabled.json()).disabled).toBe(false);
    const removed = await api.v1.admin.users[":id"].$delete({ param: { id: user.id } });
    if (removed.status !== 202) throw new Error(`status ${removed.status}`);
    expect((await removed.json()).deleted).toBe(true);

    for (const i of [1, 2]) {
      const name = `client-${crypto.randomUUID().slice(0, 8)}-${i}`;
      expect((await api.v1.admin.nodes.$post({ json: { name, url: "http://127.0.0.1:9" } })).status).toBe(
        201,
      );
      const secret = await api.v1.admin["join-secrets"].$post({
        json: { name, allowedHosts: ["127.0.0.1:9"] },
      });
      expect(secret.status).toBe(201);
    }
    const nodes = await api.v1.admin.nodes.$get({ query: { limit: "1" } });
    if (nodes.status !== 200) throw new Error(`status ${nodes.status}`);
    const nodePage = await nodes.json();
    expect(nodePage.items).toHaveLength(1);
    const nextNodes = await api.v1.admin.nodes.$get({
      query: { limit: "1", cursor: nodePage.nextCursor ?? "" },
    });
    if (nextNodes.status !== 200) throw new Error(`status ${nextNodes.status}`);
    expect((await nextNodes.json()).items[0]?.id).not.toBe(nodePage.items[0]?.id);
    const secrets = await api.v1.admin["join-secrets"].$get({ query: { limit: "1" } });
    if (secrets.status !== 200) throw new Error(`status ${secrets.status}`);
    expect((await secrets.json()).nextCursor).not.toBeNull();
    const types = await api.v1.sessions.types.$get({ query: { limit: "2" } });
    if (types.status !== 200) throw new Error(`status ${types.status}`);
    const typePage = await types.json();
    expect(typePage.items.map((t) => t.type)).toEqual(["reflection_buddy", "inner_voice"]);
    expect(typePage.nextCursor).not.toBeNull();
  });
});

describe("the client's event-stream reader", () => {
  const body =
    'event: token\ndata: {"text":"Hel"}\n\nevent: token\ndata: {"text":"lo"}\n\ndata: one\ndata: two\n\nevent: done\ndata: {}\n\n';

  /** The body in pieces that cut blocks and lines in two, as a network may deliver it. */
  function chunked(text: string, size: number): ReadableStream<Uint8Array> {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    return new ReadableStream({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + size));
        at += size;
      },
    });
  }

  it("reads a whole body into its events: named or 'message', data lines joined", () => {
    expect(serverSentEvents(body)).toEqual([
      { event: "token", data: '{"text":"Hel"}' },
      { event: "token", data: '{"text":"lo"}' },
      { event: "message", data: "one\ntwo" },
      { event: "done", data: "{}" },
    ]);
  });

  it("reads a stream as it arrives, the same events whatever the chunking, and stops when asked", async () => {
    for (const size of [1, 7, 1000]) {
      const seen: { event: string; read: number }[] = [];
      await readServerSentEvents(chunked(body, size), ({ event }, read) => {
        seen.push({ event, read });
      });
      expect(seen.map((e) => e.event)).toEqual(["token", "token", "message", "done"]);
      // One read per chunk: the first event is complete before the last chunk is in.
      if (size === 1) expect(seen[0]?.read).toBeLessThan(seen.at(-1)?.read ?? 0);
    }
    const stopped: string[] = [];
    await readServerSentEvents(chunked(body, 5), ({ event }) => {
      stopped.push(event);
      return stopped.length === 2;
    });
    expect(stopped).toEqual(["token", "token"]);
  });
});
