import { SELF } from "cloudflare:test";
import {
  listedPromptSchema,
  pageSchema,
  TEMPLATE_LIMITS,
  WRITING_PROMPTS,
  type WritingTemplate,
  writingTemplateSchema,
} from "@inkwell/shared";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createInkwellClient } from "../../src/client.ts";
import {
  BASE_URL,
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  randomIp,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";

const promptPage = pageSchema(listedPromptSchema);
const templatePage = pageSchema(writingTemplateSchema);

async function make(user: TestUser | string, body: unknown, headers: Record<string, string> = {}) {
  const token = typeof user === "string" ? user : user.accessToken;
  return await call("/v1/templates", { token, body, headers });
}

async function made(res: Response): Promise<WritingTemplate> {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return writingTemplateSchema.parse(JSON.parse(text));
}

async function prompts(user: TestUser, query: string) {
  const res = await call(`/v1/prompts${query}`, { token: user.accessToken });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return promptPage.parse(JSON.parse(text));
}

const builtInTemplates = WRITING_PROMPTS.filter((p) => p.kind === "template").length;

describe.concurrent("templates of your own", () => {
  it("are made, read, changed and deleted", async () => {
    const user = await registerUser();
    const template = await made(
      await make(user, {
        title: "  Sunday plan ",
        body: "The week ahead.",
        sections: [{ heading: "Must", prompt: "Three things that must happen." }, { heading: "Might" }],
        tags: ["Planning", "planning", "week"],
        description: "Sunday evenings",
        minutes: 15,
      }),
    );
    expect(template).toMatchObject({
      kind: "template",
      builtIn: false,
      title: "Sunday plan",
      body: "The week ahead.",
      sections: [
        { heading: "Must", prompt: "Three things that must happen." },
        { heading: "Might", prompt: "" },
      ],
      tags: ["planning", "week"],
      why: "Sunday evenings",
      description: "Sunday evenings",
      minutes: 15,
    });
    const plain = await made(await make(user, { title: "Just a title" }));
    expect(plain).toMatchObject({ body: "", sections: [], tags: [], description: null, minutes: 10 });
    expect(plain.why.length).toBeGreaterThan(0);

    const read = await call(`/v1/templates/${template.id}`, { token: user.accessToken });
    expect(writingTemplateSchema.parse(await read.json())).toEqual(template);
    const changed = await call(`/v1/templates/${template.id}`, {
      method: "PATCH",
      token: user.accessToken,
      body: { title: "Sunday review", sections: [], description: null },
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({
      title: "Sunday review",
      sections: [],
      description: null,
      body: "The week ahead.",
      tags: ["planning", "week"],
    });
    const list = templatePage.parse(
      await (await call("/v1/templates?limit=1", { token: user.accessToken })).json(),
    );
    expect(list.items.map((t) => t.id)).toEqual([template.id]);
    const rest = templatePage.parse(
      await (
        await call(`/v1/templates?limit=1&cursor=${encodeURIComponent(list.nextCursor ?? "")}`, {
          token: user.accessToken,
        })
      ).json(),
    );
    expect(rest).toMatchObject({ items: [{ id: plain.id }], nextCursor: null });

    expect(
      (await call(`/v1/templates/${template.id}`, { method: "DELETE", token: user.accessToken })).status,
    ).toBe(204);
    await expectProblem(
      await call(`/v1/templates/${template.id}`, { token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call(`/v1/templates/${template.id}`, { method: "DELETE", token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
    // A built-in's id is not one of the writer's templates.
    await expectProblem(await call("/v1/templates/gratitude", { token: user.accessToken }), 404, "NOT_FOUND");
  });

  it("are listed by GET /v1/prompts after the built-in ones, marked builtIn: false", async () => {
    const user = await registerUser();
    const first = await made(await make(user, { title: "Mine first", sections: [{ heading: "A" }] }));
    const second = await made(await make(user, { title: "Mine second" }));

    const all = await prompts(user, "?limit=100");
    expect(all.items.slice(0, WRITING_PROMPTS.length).every((p) => p.builtIn)).toBe(true);
    expect(all.items.slice(WRITING_PROMPTS.length)).toEqual([
      expect.objectContaining({ id: first.id, kind: "template", builtIn: false, title: "Mine first" }),
      expect.objectContaining({ id: second.id, builtIn: false, title: "Mine second" }),
    ]);
    const templates = await prompts(user, "?kind=template&limit=100");
    expect(templates.items).toHaveLength(builtInTemplates + 2);
    expect(templates.items.at(-1)?.id).toBe(second.id);
    const onlyPrompts = await prompts(user, "?kind=prompt&limit=100");
    expect(onlyPrompts.items.some((p) => !p.builtIn)).toBe(false);

    // Page by page across the border between built-ins and the writer's own.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await prompts(
        user,
        `?kind=template&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      paged.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(templates.items.map((p) => p.id));

    // Another writer sees only the built-ins.
    const other = await registerUser();
    expect((await prompts(other, "?limit=100")).items.every((p) => p.builtIn)).toBe(true);
  });

  it("validate sizes and keep a writer to 50", async () => {
    const user = await registerUser();
    expect(await expectValidationPaths(await make(user, {}))).toEqual(["title"]);
    expect(await expectValidationPaths(await make(user, { title: "  " }))).toEqual(["title"]);
    expect(
      await expectValidationPaths(await make(user, { title: "x".repeat(TEMPLATE_LIMITS.title + 1) })),
    ).toEqual(["title"]);
    expect(await expectValidationPaths(await make(user, { title: "t", body: "x".repeat(2001) }))).toEqual([
      "body",
    ]);
    const sections = Array.from({ length: 21 }, (_, i) => ({ heading: `h${i}` }));
    expect(await expectValidationPaths(await make(user, { title: "t", sections }))).toEqual(["sections"]);
    expect(
      await expectValidationPaths(await make(user, { title: "t", sections: [{ heading: "" }] })),
    ).toEqual(["sections.0.heading"]);
    const tags = Array.from({ length: 11 }, (_, i) => `tag${i}`);
    expect(await expectValidationPaths(await make(user, { title: "t", tags }))).toEqual(["tags"]);
    expect(await expectValidationPaths(await make(user, { title: "t", minutes: 0 }))).toEqual(["minutes"]);
    expect(await expectValidationPaths(await make(user, { title: "t", builtIn: true }))).toEqual(["(root)"]);
    const template = await made(await make(user, { title: "t" }));
    expect(
      await expectValidationPaths(
        await call(`/v1/templates/${template.id}`, { method: "PATCH", token: user.accessToken, body: {} }),
      ),
    ).toEqual(["(root)"]);

    // 49 more straight into the table, then the API refuses the 51st.
    await testDb().execute(sql`
      insert into writing_templates (id, user_id, title)
      select gen_random_uuid(), ${user.id}::uuid, 'bulk ' || n from generate_series(1, 49) as n`);
    await expectProblem(await make(user, { title: "one too many" }), 409, "CONFLICT");
    await call(`/v1/templates/${template.id}`, { method: "DELETE", token: user.accessToken });
    expect((await make(user, { title: "room again" })).status).toBe(201);
  });

  it("another writer's template is 404", async () => {
    const [owner, other] = await Promise.all([registerUser(), registerUser()]);
    const mine = await made(await make(owner, { title: "Private template" }));
    await expectProblem(
      await call(`/v1/templates/${mine.id}`, { token: other.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call(`/v1/templates/${mine.id}`, {
        method: "PATCH",
        token: other.accessToken,
        body: { title: "x" },
      }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call(`/v1/templates/${mine.id}`, { method: "DELETE", token: other.accessToken }),
      404,
      "NOT_FOUND",
    );
    const theirs = templatePage.parse(
      await (await call("/v1/templates", { token: other.accessToken })).json(),
    );
    expect(theirs.items).toEqual([]);
    expect((await call(`/v1/templates/${mine.id}`, { token: owner.accessToken })).status).toBe(200);
  });

  it("need entries:write to change and entries:read or entries:write to read", async () => {
    const user = await registerUser();
    const [reader, writer, ai] = await Promise.all([
      createKey(user, ["entries:read"]),
      createKey(user, ["entries:write"]),
      createKey(user, ["ai"]),
    ]);
    await expectProblem(await make(reader.key, { title: "no" }), 403, "FORBIDDEN");
    const t = await made(await make(writer.key, { title: "yes" }));
    expect((await call(`/v1/templates/${t.id}`, { token: reader.key })).status).toBe(200);
    expect((await call("/v1/templates", { token: writer.key })).status).toBe(200);
    await expectProblem(await call("/v1/templates", { token: ai.key }), 403, "FORBIDDEN");
    await expectProblem(
      await call(`/v1/templates/${t.id}`, { method: "PATCH", token: reader.key, body: { title: "no" } }),
      403,
      "FORBIDDEN",
    );
    await expectProblem(
      await call(`/v1/templates/${t.id}`, { method: "DELETE", token: reader.key }),
      403,
      "FORBIDDEN",
    );
  });

  it("an Idempotency-Key makes one template; the export and the typed client carry them", async () => {
    const user = await registerUser();
    const headers = { "Idempotency-Key": "template-1" };
    const first = await made(await make(user, { title: "Once" }, headers));
    const again = await make(user, { title: "Once" }, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(first);
    await expectProblem(await make(user, { title: "Twice" }, headers), 409, "CONFLICT");

    const doc = (await (await call("/v1/me/export", { token: user.accessToken })).json()) as {
      templates: WritingTemplate[];
    };
    expect(doc.templates.map((t) => t.id)).toEqual([first.id]);
    const md = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(md).toContain("# Templates");
    expect(md).toContain("## Once");

    const ip = randomIp();
    const api = createInkwellClient(BASE_URL, {
      token: user.accessToken,
      fetch: (input, init) => {
        const request = new Request(input, init);
        request.headers.set("CF-Connecting-IP", ip);
        return SELF.fetch(request);
      },
    });
    const created = await api.v1.templates.$post({ json: { title: "From the client" } });
    if (created.status !== 201) throw new Error(`status ${created.status}`);
    const { id } = await created.json();
    const patched = await api.v1.templates[":id"].$patch({ param: { id }, json: { minutes: 5 } });
    if (patched.status !== 200) throw new Error(`status ${patched.status}`);
    expect((await patched.json()).minutes).toBe(5);
    const listed = await api.v1.prompts.$get({ query: { kind: "template", limit: "100" } });
    if (listed.status !== 200) throw new Error(`status ${listed.status}`);
    expect((await listed.json()).items.filter((p) => !p.builtIn).map((p) => p.id)).toEqual([first.id, id]);
  });
});
