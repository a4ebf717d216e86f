import { analyzeEntryResultSchema } from "@inkwell/shared";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeEntry } from "../../src/analysis/entry-analysis.ts";
import { fakeRuntime } from "../helpers/fake-runtime.ts";

const runtime = fakeRuntime();
afterAll(async () => {
  await runtime.close();
});

const job = (content: string) => ({
  jobId: "job-1",
  entryId: "entry-1",
  userId: "user-1",
  contentVersion: 1,
  content,
});

describe("thinking traps in the entry analysis", () => {
  it("adds the detected patterns to the analysis result", async () => {
    const result = analyzeEntryResultSchema.parse(
      await analyzeEntry(runtime, job("I forgot the meeting. I'm such an idiot and I always mess up.")),
    );
    expect(result.patterns?.map((p) => p.label).sort()).toEqual(["labelling", "overgeneralisation"]);
    expect(result.patterns?.[0]?.evidence.length).toBeGreaterThan(0);
  });

  it("reports none for an entry without them", async () => {
    const result = await analyzeEntry(runtime, job("A quiet day. I read, cooked and called my sister."));
    expect(result.patterns).toEqual([]);
  });
});
