import { describe, expect, it } from "vitest";
import { call, createKey, expectProblem, registerUser } from "../harness.ts";

describe.concurrent("DELETE /v1/api-keys/{id}", () => {
  it("deletes a key (204); it stops working at once although verification is cached", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"]);
    // Two uses: the first fills the verification cache, the second is served from it.
    expect((await call("/v1/me", { token: key.key })).status).toBe(200);
    expect((await call("/v1/me", { token: key.key })).status).toBe(200);

    const res = await call(`/v1/api-keys/${key.id}`, { method: "DELETE", token: user.accessToken });
    expect(res.status).toBe(204);
    await expectProblem(await call("/v1/me", { token: key.key }), 401, "UNAUTHENTICATED");

    const list = await (await call("/v1/api-keys", { token: user.accessToken })).json<{ items: unknown[] }>();
    expect(list.items).toEqual([]);
    // Deleting again: it is gone.
    await expectProblem(
      await call(`/v1/api-keys/${key.id}`, { method: "DELETE", token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
  });

  it("answers 404 for ids that are not ours or not ids at all", async () => {
    const user = await registerUser();
    for (const id of [crypto.randomUUID(), "not-a-uuid", "1%27%20OR%20%271%27%3D%271"]) {
      await expectProblem(
        await call(`/v1/api-keys/${id}`, { method: "DELETE", token: user.accessToken }),
        404,
        "NOT_FOUND",
      );
    }
  });

  it("needs a token (401) and a session, not a key (403)", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write", "ai"]);
    await expectProblem(await call(`/v1/api-keys/${key.id}`, { method: "DELETE" }), 401, "UNAUTHENTICATED");
    await expectProblem(
      await call(`/v1/api-keys/${key.id}`, { method: "DELETE", token: key.key }),
      403,
      "FORBIDDEN",
    );
    // Neither attempt deleted it.
    expect((await call("/v1/me", { token: key.key })).status).toBe(200);
  });
});
