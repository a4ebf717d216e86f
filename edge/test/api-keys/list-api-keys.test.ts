import { apiKeySchema, pageSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { call, createKey, expectProblem, expectValidationPaths, registerUser } from "../harness.ts";

const page = pageSchema(apiKeySchema);

describe.concurrent("GET /v1/api-keys", () => {
  it("lists the caller's keys newest first, never the key or its hash", async () => {
    const user = await registerUser();
    const first = await createKey(user, ["entries:read"], { name: "first" });
    const second = await createKey(user, ["ai"], { name: "second" });
    const res = await call("/v1/api-keys", { token: user.accessToken });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(first.key);
    expect(text).not.toContain(second.key);
    expect(text).not.toMatch(/hash/i);
    const body = page.parse(JSON.parse(text));
    expect(body.items.map((k) => k.name)).toEqual(["second", "first"]);
    expect(body.items[0]).not.toHaveProperty("key");
    expect(body.nextCursor).toBeNull();
  });

  it("pages with limit and cursor", async () => {
    const user = await registerUser();
    for (const name of ["a", "b", "c"]) await createKey(user, ["ai"], { name });
    const one = page.parse(await (await call("/v1/api-keys?limit=2", { token: user.accessToken })).json());
    expect(one.items.map((k) => k.name)).toEqual(["c", "b"]);
    expect(one.nextCursor).not.toBeNull();
    const two = page.parse(
      await (await call(`/v1/api-keys?limit=2&cursor=${one.nextCursor}`, { token: user.accessToken })).json(),
    );
    expect(two.items.map((k) => k.name)).toEqual(["a"]);
    expect(two.nextCursor).toBeNull();
  });

  it("validates limit and cursor", async () => {
    const user = await registerUser();
    expect(
      await expectValidationPaths(await call("/v1/api-keys?limit=0", { token: user.accessToken })),
    ).toEqual(["limit"]);
    expect(
      await expectValidationPaths(await call("/v1/api-keys?limit=abc", { token: user.accessToken })),
    ).toEqual(["limit"]);
    expect(
      await expectValidationPaths(await call("/v1/api-keys?cursor=!!", { token: user.accessToken })),
    ).toEqual(["cursor"]);
  });

  it("needs a token (401) and a session, not a key (403)", async () => {
    await expectProblem(await call("/v1/api-keys"), 401, "UNAUTHENTICATED");
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write", "ai"]);
    await expectProblem(await call("/v1/api-keys", { token: key.key }), 403, "FORBIDDEN");
  });
});
