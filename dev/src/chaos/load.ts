import { createInkwellClient } from "@inkwell/edge/client";
import { carefully, type Outcome, type RequestLog } from "./careful-client.ts";

/** What the writer was told happened to one entry; the invariants compare it with the database. */
export interface KnownEntry {
  id: string;
  /** The content the last acknowledged write gave it. */
  content: string;
  /** Contents an unacknowledged edit may have left instead (the client gave up waiting). */
  maybe: string[];
  deleted: boolean;
  /** A delete the client gave up on: the entry may or may not be gone. */
  maybeDeleted: boolean;
}

/** How one create ended for the client: what the invariants expect to find of it in Postgres. */
export type CreateOutcome =
  /** Answered 201 with this entry's id. */
  | { kind: "acknowledged"; id: string }
  /** Out of patience with only retryable failures: it may have made one entry. */
  | { kind: "gave-up" }
  /** Answered with another status: it should have made nothing. */
  | { kind: "refused"; status: number };

export interface WriterState {
  email: string;
  userId: string;
  entries: Map<string, KnownEntry>;
  /** Every create by its tag ("Writer 3, entry 17", the start of its unique text), and how it ended. */
  creates: Map<string, CreateOutcome>;
  /** Creates the client gave up on: each may have made one entry (never two, by its key). */
  unacknowledgedCreates: number;
  /** Creates answered only after at least one retry with the same Idempotency-Key. */
  retriedCreates: number;
}

export interface LoadShared {
  edgeUrl: string;
  log: RequestLog;
  random: () => number;
  patienceMs: number;
  /** Claims one more entry to create; false once the run's budget is spent or the load is stopping. */
  claimCreate(): boolean;
  stopping(): boolean;
  /** Mix of operations; weights need not sum to one. */
  mix: { create: number; edit: number; remove: number; search: number; read: number; chat?: number };
}

const WORDS = [
  "harbour",
  "rain",
  "sister",
  "coffee",
  "garden",
  "tired",
  "hopeful",
  "walk",
  "letter",
  "train",
  "quiet",
  "storm",
  "bread",
  "music",
  "window",
  "friend",
  "river",
  "morning",
  "lamp",
  "market",
];
const PASSWORD = "correct horse battery staple";

function sentence(random: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");
}

/**
 * One simulated writer: signs up, then creates, edits, deletes, reads and searches entries through the
 * real edge with the typed client, every write carrying an Idempotency-Key and retried carefully.
 */
export class Writer {
  readonly state: WriterState;
  /** Read on every request by the typed client, so a fresh sign-in takes effect at once. */
  private readonly auth: { token?: string; fetch?: typeof fetch } = {};
  private readonly client;
  private readonly anonymous;
  private readonly ip: string;
  private written = 0;
  /** The writer's conversation, opened on its first chat message. */
  private sessionId: string | undefined;

  constructor(
    private readonly shared: LoadShared,
    readonly index: number,
  ) {
    // A request that hangs (a frozen process on the way) counts as a network error after 30 s.
    const patientFetch: typeof fetch = (input, init) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(30_000) });
    this.client = createInkwellClient(shared.edgeUrl, Object.assign(this.auth, { fetch: patientFetch }));
    this.anonymous = createInkwellClient(shared.edgeUrl, { fetch: patientFetch });
    // Each writer from an address of its own: sign-up is limited per address.
    this.ip = `2001:db8:c4a0:${index.toString(16)}::1`;
    this.state = {
      email: `chaos-${index}-${crypto.randomUUID()}@example.test`,
      userId: "",
      entries: new Map(),
      creates: new Map(),
      unacknowledgedCreates: 0,
      retriedCreates: 0,
    };
  }

  private careful(route: string, send: () => Promise<Response>): Promise<Outcome> {
    const { log, random, patienceMs } = this.shared;
    return carefully(log, route, send, { patienceMs, random });
  }

  /** Signs up (or, when a retried sign-up finds its own account, signs in). */
  async signUp(): Promise<void> {
    const headers = { "CF-Connecting-IP": this.ip };
    const json = { email: this.state.email, password: PASSWORD };
    const registered = await this.careful("POST /v1/auth/register", () =>
      this.anonymous.v1.auth.register.$post({ json }, { headers }),
    );
    if (registered.kind === "answered" && registered.res.status === 201) {
      const body = (await registered.res.json()) as { accessToken: string; user: { id: string } };
      this.auth.token = body.accessToken;
      this.state.userId = body.user.id;
      return;
    }
    if (registered.kind === "answered") await registered.res.body?.cancel();
    await this.signIn();
  }

  private async signIn(): Promise<void> {
    const headers = { "CF-Connecting-IP": this.ip };
    const json = { email: this.state.email, password: PASSWORD };
    const login = await this.careful("POST /v1/auth/login", () =>
      this.anonymous.v1.auth.login.$post({ json }, { headers }),
    );
    if (login.kind !== "answered" || login.res.status !== 200) {
      throw new Error(
        `writer ${this.index} could not sign in (${login.kind === "answered" ? login.res.status : login.last})`,
      );
    }
    const body = (await login.res.json()) as { accessToken: string; user: { id: string } };
    this.auth.token = body.accessToken;
    this.state.userId = body.user.id;
  }

  /** Picks the next operation by the mix's weights. */
  private pick(): keyof LoadShared["mix"] {
    const { mix } = this.shared;
    const kinds = Object.keys(mix) as (keyof LoadShared["mix"])[];
    const total = kinds.reduce((n, k) => n + (mix[k] ?? 0), 0);
    let left = this.shared.random() * total;
    for (const kind of kinds) {
      left -= mix[kind] ?? 0;
      if (left < 0) return kind;
    }
    return "read";
  }

  /** Runs operations until the shared budget is spent or the load stops. */
  async run(): Promise<void> {
    const { random, mix } = this.shared;
    const any = (list: KnownEntry[]) => list[Math.floor(random() * list.length)] as KnownEntry;
    while (!this.shared.stopping()) {
      const live = [...this.state.entries.values()].filter((e) => !e.deleted && !e.maybeDeleted);
      const kind = live.length === 0 ? "create" : this.pick();
      if (kind === "create") {
        if (!this.shared.claimCreate()) {
          if (live.length === 0) return;
          // The create budget is spent: the others keep going until the load stops.
          if (mix.edit + mix.remove + mix.search + mix.read + (mix.chat ?? 0) === 0) return;
          continue;
        }
        await this.create();
      } else if (kind === "edit") await this.edit(any(live));
      else if (kind === "remove") await this.remove(any(live));
      else if (kind === "search") await this.search();
      else if (kind === "chat") await this.chat();
      else await this.read(any(live));
    }
  }

  /** A 401 means the access token expired during a long run: sign in again and retry once. */
  private async authed(route: string, send: () => Promise<Response>): Promise<Outcome> {
    const first = await this.careful(route, send);
    if (first.kind === "answered" && first.res.status === 401) {
      await first.res.body?.cancel();
      await this.signIn();
      return await this.careful(route, send);
    }
    return first;
  }

  async create(): Promise<void> {
    const n = ++this.written;
    const tag = `Writer ${this.index}, entry ${n}`;
    const content = `${tag}: ${sentence(this.shared.random, 12)}.`;
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const outcome = await this.authed("POST /v1/entries", () =>
      this.client.v1.entries.$post({ json: { content } }, { headers }),
    );
    if (outcome.kind === "gave-up") {
      this.state.unacknowledgedCreates++;
      this.state.creates.set(tag, { kind: "gave-up" });
      return;
    }
    if (outcome.res.status !== 201) {
      this.state.creates.set(tag, { kind: "refused", status: outcome.res.status });
      await outcome.res.body?.cancel();
      return;
    }
    const entry = (await outcome.res.json()) as { id: string };
    this.state.creates.set(tag, { kind: "acknowledged", id: entry.id });
    if (outcome.attempts > 1) this.state.retriedCreates++;
    this.state.entries.set(entry.id, {
      id: entry.id,
      content,
      maybe: [],
      deleted: false,
      maybeDeleted: false,
    });
  }

  async edit(entry: KnownEntry): Promise<void> {
    const content = `${entry.content.split(" (edit")[0]} (edit ${++this.written}: ${sentence(this.shared.random, 4)})`;
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const outcome = await this.authed("PATCH /v1/entries/{id}", () =>
      this.client.v1.entries[":id"].$patch({ param: { id: entry.id }, json: { content } }, { headers }),
    );
    if (outcome.kind === "gave-up") {
      entry.maybe.push(content);
      return;
    }
    await outcome.res.body?.cancel();
    if (outcome.res.status === 200) {
      entry.content = content;
      entry.maybe = [];
    }
  }

  async remove(entry: KnownEntry): Promise<void> {
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const outcome = await this.authed("DELETE /v1/entries/{id}", () =>
      this.client.v1.entries[":id"].$delete({ param: { id: entry.id } }, { headers }),
    );
    if (outcome.kind === "gave-up") {
      entry.maybeDeleted = true;
      return;
    }
    await outcome.res.body?.cancel();
    // A 404 after a retry: the first try deleted it and its answer was lost.
    if (outcome.res.status === 204 || (outcome.res.status === 404 && outcome.attempts > 1))
      entry.deleted = true;
  }

  async search(): Promise<void> {
    const q = WORDS[Math.floor(this.shared.random() * WORDS.length)] ?? "rain";
    const outcome = await this.authed("GET /v1/search", () =>
      this.client.v1.search.$get({ query: { q, mode: "keyword" } }),
    );
    if (outcome.kind === "answered") await outcome.res.body?.cancel();
  }

  async read(entry: KnownEntry): Promise<void> {
    const outcome = await this.authed("GET /v1/entries/{id}", () =>
      this.client.v1.entries[":id"].$get({ param: { id: entry.id } }),
    );
    if (outcome.kind === "answered") await outcome.res.body?.cancel();
  }

  /** A message in the writer's conversation (opened on first use); the reply is read to its end. */
  async chat(): Promise<void> {
    if (!this.sessionId) {
      const headers = { "Idempotency-Key": crypto.randomUUID() };
      const opened = await this.authed("POST /v1/sessions", () =>
        this.client.v1.sessions.$post({ json: { type: "free_chat" } }, { headers }),
      );
      if (opened.kind !== "answered") return;
      if (opened.res.status !== 201) {
        await opened.res.body?.cancel();
        return;
      }
      this.sessionId = ((await opened.res.json()) as { id: string }).id;
    }
    const id = this.sessionId;
    const content = `Today: ${sentence(this.shared.random, 8)}. What do you make of it?`;
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const outcome = await this.authed("POST /v1/sessions/{id}/messages", () =>
      this.client.v1.sessions[":id"].messages.$post({ param: { id }, json: { content } }, { headers }),
    );
    if (outcome.kind === "answered") await outcome.res.text().catch(() => "");
  }
}
