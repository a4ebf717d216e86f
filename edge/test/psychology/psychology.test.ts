import {
  KNOWLEDGE_ISSUES,
  knowledgeDomainsResponseSchema,
  knowledgeTechniquesResponseSchema,
} from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { json } from "../entries/helpers.ts";
import { call, createKey, expectProblem, expectValidationPaths, registerUser } from "../harness.ts";

describe("psychology knowledge base routes", () => {
  it("validate their queries before anything else", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    await expectValidationPaths(await call("/v1/psychology/search", { token: t }));
    await expectValidationPaths(
      await call("/v1/psychology/search?q=sleep&evidenceLevel=great", { token: t }),
    );
    expect(await expectValidationPaths(await call("/v1/psychology/techniques", { token: t }))).toContain(
      "issue",
    );
    expect(
      await expectValidationPaths(
        await call(`/v1/psychology/techniques?issue=${"a".repeat(201)}`, { token: t }),
      ),
    ).toContain("issue");
    expect(
      await expectValidationPaths(
        await call("/v1/psychology/techniques?issue=anxiety&domain=astrology", { token: t }),
      ),
    ).toContain("domain");
  });

  it("need a token and the ai scope", async () => {
    const user = await registerUser();
    await expectProblem(await call("/v1/psychology/domains"), 401, "UNAUTHENTICATED");
    const key = await createKey(user, ["entries:read"]);
    await expectProblem(await call("/v1/psychology/domains", { token: key.key }), 403, "FORBIDDEN");
    await expectProblem(
      await call("/v1/psychology/techniques?issue=anxiety", { token: key.key }),
      403,
      "FORBIDDEN",
    );
    const ai = await createKey(user, ["ai"]);
    expect((await call("/v1/psychology/techniques?issue=anxiety", { token: ai.key })).status).toBe(200);
  });

  it("say clearly that no inference node is there to answer a search", async () => {
    // The Worker tests run without nodes; the end-to-end suite covers a node answering.
    const user = await registerUser();
    await expectProblem(
      await call("/v1/psychology/search?q=sleep", { token: user.accessToken }),
      503,
      "NO_INFERENCE_NODE",
    );
  });
});

describe("static knowledge data, answered by the edge without a node", () => {
  it("lists the domains with their passage counts", async () => {
    const user = await registerUser();
    const body = knowledgeDomainsResponseSchema.parse(
      await json(await call("/v1/psychology/domains", { token: user.accessToken }), 200),
    );
    expect(body.corpusHash).toMatch(/^[0-9a-f]{64}$/);
    expect(body.domains.map((d) => d.domain)).toContain("cbt");
    for (const d of body.domains) expect(d.passageCount, d.domain).toBeGreaterThan(0);
  });

  it("techniques for a known issue, best-evidenced first, with the filters applied", async () => {
    const user = await registerUser();
    const body = knowledgeTechniquesResponseSchema.parse(
      await json(await call("/v1/psychology/techniques?issue=rumination", { token: user.accessToken }), 200),
    );
    expect(body).toMatchObject({ issue: "rumination", matched: { query: "rumination", by: "issue" } });
    expect(body.techniques.length).toBeGreaterThan(0);
    const high = knowledgeTechniquesResponseSchema.parse(
      await json(
        await call("/v1/psychology/techniques?issue=rumination&evidenceLevel=high", {
          token: user.accessToken,
        }),
        200,
      ),
    );
    for (const t of high.techniques) {
      for (const p of t.passages) expect(p.evidenceLevel).toBe("high");
    }
  });

  it("reads free text as the closest issue and says which it matched", async () => {
    const user = await registerUser();
    const cases = [
      ["overthinking", "rumination", "synonym"],
      ["panic attacks", "panic", "synonym"],
      ["I feel anxious before meetings", "anxiety", "synonym"],
      ["can't sleep", "insomnia", "synonym"],
      ["anxeity", "anxiety", "spelling"],
    ] as const;
    for (const [text, issue, by] of cases) {
      const body = knowledgeTechniquesResponseSchema.parse(
        await json(
          await call(`/v1/psychology/techniques?issue=${encodeURIComponent(text)}`, {
            token: user.accessToken,
          }),
          200,
        ),
      );
      expect(body.issue, text).toBe(issue);
      expect(body.matched, text).toMatchObject({ query: text, by });
      expect(body.techniques.length, text).toBeGreaterThan(0);
    }
  });

  it("a text that names no issue gets the nearest one, or general well-being, and says so", async () => {
    const user = await registerUser();
    const techniques = async (text: string) =>
      knowledgeTechniquesResponseSchema.parse(
        await json(
          await call(`/v1/psychology/techniques?issue=${encodeURIComponent(text)}`, {
            token: user.accessToken,
          }),
          200,
        ),
      );
    const nearest = await techniques("keeping a diary");
    expect(nearest.issue).toBe("insomnia");
    expect(nearest.matched).toMatchObject({ query: "keeping a diary", by: "nearest", term: "diary" });
    expect(nearest.matched?.note).toContain("closest");
    expect(nearest.techniques.length).toBeGreaterThan(0);

    const fallback = await techniques("boredom");
    expect(fallback.issue).toBe("wellbeing");
    expect(fallback.matched).toMatchObject({ query: "boredom", by: "default" });
    for (const issue of KNOWLEDGE_ISSUES) expect(fallback.matched?.note).toContain(issue);
    expect(fallback.techniques.length).toBeGreaterThan(0);
    // Only an empty text is still refused.
    await expectProblem(
      await call("/v1/psychology/techniques?issue=%20", { token: user.accessToken }),
      400,
      "VALIDATION_FAILED",
    );
  });
});
