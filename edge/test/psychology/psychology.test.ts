import { describe, it } from "vitest";
import { call, createKey, expectProblem, expectValidationPaths, registerUser } from "../harness.ts";

describe("psychology knowledge base routes", () => {
  it("validate their queries before anything else", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    await expectValidationPaths(await call("/v1/psychology/search", { token: t }));
    await expectValidationPaths(
      await call("/v1/psychology/search?q=sleep&evidenceLevel=great", { token: t }),
    );
    await expectValidationPaths(await call("/v1/psychology/techniques?issue=boredom", { token: t }));
  });

  it("need a token and the ai scope", async () => {
    const user = await registerUser();
    await expectProblem(await call("/v1/psychology/domains"), 401, "UNAUTHENTICATED");
    const key = await createKey(user, ["entries:read"]);
    await expectProblem(await call("/v1/psychology/domains", { token: key.key }), 403, "FORBIDDEN");
  });

  it("say clearly that no inference node is there to answer", async () => {
    // The Worker tests run without nodes; the end-to-end suite covers a node answering.
    const user = await registerUser();
    await expectProblem(
      await call("/v1/psychology/search?q=sleep", { token: user.accessToken }),
      503,
      "NO_INFERENCE_NODE",
    );
  });
});
