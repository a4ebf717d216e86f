import { describe, expect, it } from "vitest";
import { call, createKey, expectProblem, registerUser, type TestUser } from "./harness.ts";

/**
 * Nobody reads another's journal. For every route that takes an id, user B must get 404 for user A's
 * resource — the same answer as for an id that never existed — and A's resource must be untouched.
 * Later issues add their resources to `routes`.
 */
interface OwnedResource {
  /** What the check is about, for the test name. */
  name: string;
  /** Creates a resource as `owner` and returns its id plus a way to prove it still exists. */
  create(owner: TestUser): Promise<{ id: string; stillThere(): Promise<boolean> }>;
  /** The requests that take the id; each must answer 404 to anyone but the owner. */
  requests: { method: string; path: (id: string) => string; body?: unknown }[];
}

const routes: OwnedResource[] = [
  {
    name: "API keys",
    async create(owner) {
      const key = await createKey(owner, ["entries:read"]);
      return {
        id: key.id,
        stillThere: async () => (await call("/v1/me", { token: key.key })).status === 200,
      };
    },
    requests: [{ method: "DELETE", path: (id) => `/v1/api-keys/${id}` }],
  },
];

describe.concurrent("tenancy: user B cannot reach user A's resources", () => {
  for (const resource of routes) {
    it(`${resource.name}: 404 for another user's id, exactly as for an unknown id`, async () => {
      const a = await registerUser();
      const b = await registerUser();
      const owned = await resource.create(a);
      for (const request of resource.requests) {
        const theirs = await call(request.path(owned.id), {
          method: request.method,
          token: b.accessToken,
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        const unknown = await call(request.path(crypto.randomUUID()), {
          method: request.method,
          token: b.accessToken,
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        const p1 = await expectProblem(theirs, 404, "NOT_FOUND");
        const p2 = await expectProblem(unknown, 404, "NOT_FOUND");
        expect({ ...p1, requestId: "" }).toEqual({ ...p2, requestId: "" });
      }
      expect(await owned.stillThere()).toBe(true);
    });
  }

  it("API keys: lists show only the caller's own keys", async () => {
    const a = await registerUser();
    const b = await registerUser();
    const aKey = await createKey(a, ["ai"]);
    await createKey(b, ["ai"]);
    const bList = await (await call("/v1/api-keys", { token: b.accessToken })).json<{
      items: { id: string }[];
    }>();
    expect(bList.items).toHaveLength(1);
    expect(bList.items.map((k) => k.id)).not.toContain(aKey.id);
  });

  it("a key acts only as its owner, whatever the request says", async () => {
    const a = await registerUser();
    const b = await registerUser();
    const bKey = await createKey(b, ["entries:read"]);
    const me = await call("/v1/me", { token: bKey.key, headers: { "X-User-Id": a.id } });
    expect(await me.json()).toMatchObject({ id: b.id });
  });
});
