import { type JoinSecret, joinSecretListSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import {
  call,
  expectProblem,
  expectValidationPaths,
  registerAdmin,
  registerUser,
  type TestUser,
} from "../harness.ts";

async function page(admin: TestUser, query: string) {
  const res = await call(`/v1/admin/join-secrets${query}`, { token: admin.accessToken });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return joinSecretListSchema.parse(JSON.parse(text));
}

describe("GET /v1/admin/join-secrets", () => {
  it("pages the join secrets newest first with a cursor, like every list", async () => {
    const admin = await registerAdmin();
    const tag = crypto.randomUUID().slice(0, 8);
    const made: string[] = [];
    for (const i of [1, 2, 3]) {
      const res = await call("/v1/admin/join-secrets", {
        token: admin.accessToken,
        body: { name: `pages-${tag}-${i}`, allowedHosts: ["127.0.0.1:9"] },
      });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      made.push((JSON.parse(text) as { id: string }).id);
    }
    // Other tests make secrets too: walk pages of two until every one of ours has been seen.
    const seen: JoinSecret[] = [];
    let query = "?limit=2";
    for (let pages = 0; pages < 50; pages++) {
      const { items, nextCursor } = await page(admin, query);
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items);
      if (made.every((id) => seen.some((s) => s.id === id)) || nextCursor === null) break;
      query = `?limit=2&cursor=${encodeURIComponent(nextCursor)}`;
    }
    expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);
    const ours = seen.filter((s) => s.name.startsWith(`pages-${tag}-`));
    expect(ours.map((s) => s.name)).toEqual([3, 2, 1].map((i) => `pages-${tag}-${i}`));
    expect(ours.map((s) => s.id)).toEqual([...made].reverse());
    expect(ours[0]).toMatchObject({ nodes: 0, revokedAt: null, allowedHosts: ["127.0.0.1:9"] });
  });

  it("refuses a forged cursor, another list's cursor and a limit out of range; admins only", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const token = admin.accessToken;
    expect(
      await expectValidationPaths(await call("/v1/admin/join-secrets?cursor=forged", { token })),
    ).toEqual(["cursor"]);
    // Two nodes, so the node list has a second page and a cursor to try here.
    for (const i of [1, 2]) {
      const made = await call("/v1/admin/nodes", {
        token,
        body: { name: `pages-${crypto.randomUUID().slice(0, 8)}-${i}`, url: "http://127.0.0.1:9" },
      });
      expect(made.status).toBe(201);
    }
    const nodes = await call("/v1/admin/nodes?limit=1", { token });
    const nodeCursor = ((await nodes.json()) as { nextCursor: string | null }).nextCursor;
    expect(nodeCursor).not.toBeNull();
    expect(
      await expectValidationPaths(
        await call(`/v1/admin/join-secrets?cursor=${encodeURIComponent(nodeCursor ?? "")}`, { token }),
      ),
    ).toEqual(["cursor"]);
    for (const limit of ["0", "101", "two"]) {
      expect(
        await expectValidationPaths(await call(`/v1/admin/join-secrets?limit=${limit}`, { token })),
      ).toEqual(["limit"]);
    }
    await expectProblem(await call("/v1/admin/join-secrets", { token: user.accessToken }), 403, "FORBIDDEN");
  });
});
