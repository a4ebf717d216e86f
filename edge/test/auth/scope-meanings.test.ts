import { chatSessionSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { createEntry, json } from "../entries/helpers.ts";
import { call, createKey, expectProblem, registerUser } from "../harness.ts";

/** What each scope lets a key read, as docs/scopes.md states it. */
describe.concurrent("scopes", () => {
  it("the export holds chat transcripts, so a key needs entries:read and ai to read it", async () => {
    const user = await registerUser();
    await createEntry(user, { content: "An entry anyone with entries:read may read." });
    const session = chatSessionSchema.parse(
      await json(
        await call("/v1/sessions", {
          token: user.accessToken,
          body: { type: "free_chat", title: "A conversation only ai keys may read" },
        }),
        201,
      ),
    );

    for (const scopes of [["entries:read"], ["entries:read", "entries:write"], ["ai"]]) {
      const key = await createKey(user, scopes);
      const refused = await call("/v1/me/export", { token: key.key });
      const problem = await expectProblem(refused, 403, "FORBIDDEN");
      expect(JSON.stringify(problem)).not.toContain(session.title ?? "");
    }

    const both = await createKey(user, ["entries:read", "ai"]);
    const res = await call("/v1/me/export", { token: both.key });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("A conversation only ai keys may read");
    expect(text).toContain("An entry anyone with entries:read may read.");
    // A signed-in session holds every user scope and may always export.
    expect((await call("/v1/me/export", { token: user.accessToken })).status).toBe(200);
  });

  it("an entries:read key cannot open chat sessions any other way either", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"]);
    await expectProblem(await call("/v1/sessions", { token: key.key }), 403, "FORBIDDEN");
  });
});
