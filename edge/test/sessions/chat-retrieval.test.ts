import { chatSessionSchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entries } from "../../src/db/schema/index.ts";
import { prepareReply } from "../../src/services/chat.ts";
import { keyring } from "../crypto/helpers.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, registerUser, type TestUser, testDb } from "../harness.ts";

async function newSession(user: TestUser): Promise<string> {
  return chatSessionSchema.parse(
    await json(
      await call("/v1/sessions", { token: user.accessToken, body: { type: "reflection_buddy" } }),
      201,
    ),
  ).id;
}

const noKnowledge = async () => [];
const noNode = async () => null;

describe("chat retrieval", () => {
  it("grounds a reply in what hybrid search ranks, in its order, and never in deleted or foreign entries", async () => {
    const user = await registerUser();
    const other = await registerUser();
    // Shares no word with the message: only a meaning-based search finds it.
    const run = await createEntry(user, { content: "Ten kilometres along the canal before breakfast." });
    const tired = await createEntry(user, { content: "Long day, early night." });
    const gone = await createEntry(user, { content: "Deleted thoughts." });
    await testDb().update(entries).set({ deletedAt: new Date() }).where(eq(entries.id, gone.id));
    const foreign = await createEntry(other, { content: "Someone else's run." });

    const context = await prepareReply(
      testDb(),
      keyring(),
      user.id,
      await newSession(user),
      "I went jogging by the water",
      noKnowledge,
      noNode,
      async () => [run.id, foreign.id, gone.id, tired.id],
    );
    expect(context.entries.map((e) => e.id)).toEqual([run.id, tired.id]);
    expect(context.system).toContain("Ten kilometres along the canal");
    expect(context.system).not.toContain("Someone else's run");
  });

  it("falls back to the message's words when no node could search by meaning", async () => {
    const user = await registerUser();
    const deadline = await createEntry(user, { content: "The deadline at work kept me up all night." });
    await createEntry(user, { content: "Planted tomatoes." });
    const context = await prepareReply(
      testDb(),
      keyring(),
      user.id,
      await newSession(user),
      "stress about a deadline",
      noKnowledge,
      noNode,
      async () => null,
    );
    expect(context.entries.map((e) => e.id)).toEqual([deadline.id]);
  });
});
