import { analyzeEntryResultSchema } from "@inkwell/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeEntry } from "../../src/analysis/entry-analysis.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { JOURNAL_HEAD_MODELS, loadBuiltRuntime } from "../helpers/real-runtime.ts";

const job = (content: string) => ({
  jobId: "job_1",
  entryId: "entry_1",
  userId: "user_1",
  contentVersion: 1,
  content,
});

describe("analysis with the journal heads (what a node that can run USE-lite serves)", () => {
  // Called directly rather than through the route (test/routes/analyze-entry.test.ts covers it): a busy
  // test machine would otherwise trip the node's load shedding between the heavier USE-lite requests.
  let heads: InferenceRuntime;
  beforeAll(async () => {
    heads = await loadBuiltRuntime({}, JOURNAL_HEAD_MODELS);
  });
  afterAll(async () => {
    await heads.close();
  });
  const analyse = async (content: string) =>
    analyzeEntryResultSchema.parse(await analyzeEntry(heads, job(content)));

  it("calls a plain record of the day neutral, not negative", async () => {
    const result = await analyse(
      "Dentist at 9, then the bank to sort out the direct debit. Picked up printer ink and the dry cleaning. Need to email the landlord about the boiler service and book train tickets for the 14th.",
    );
    expect(result.models).toEqual({
      embedding: "use-lite",
      sentiment: "inkwell-sentiment-use-lite",
      emotion: "inkwell-emotion-use-lite",
    });
    expect(result.dims).toBe(512);
    expect(result.sentiment.label).toBe("neutral");
    expect(result.emotions[0]?.label).toBe("neutral");
    expect(result.emotions.reduce((sum, e) => sum + e.score, 0)).toBeCloseTo(1, 2);
  });

  it("reads clear feelings the right way round", async () => {
    const happy = await analyse(
      "Got the job offer this afternoon!! I actually screamed in the car park. So proud of myself after all those rejections.",
    );
    expect(happy.sentiment.label).toBe("positive");
    expect(happy.emotions[0]?.label).toBe("joy");
    const low = await analyse(
      "The house is so quiet since Dad died. I keep setting out two mugs. Cried in the shower again this morning.",
    );
    expect(low.sentiment.label).toBe("negative");
    expect(low.emotions[0]?.label).toBe("sadness");
  });
});
