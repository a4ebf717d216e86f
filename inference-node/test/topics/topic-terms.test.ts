import { describe, expect, it } from "vitest";
import { classTfIdf, contentWords, singularForms } from "../../src/topics/topic-terms.ts";

describe("contentWords", () => {
  it("keeps lower-cased content words and drops stopwords, possessives and short words", () => {
    expect(contentWords("Today I felt Dad's watch on my wrist, and it's too big.")).toEqual([
      "dad",
      "watch",
      "wrist",
    ]);
  });
});

describe("singularForms", () => {
  it("folds plurals onto singulars that occur", () => {
    const folded = singularForms(
      new Set(["run", "runs", "box", "boxes", "diary", "diaries", "glass", "bills"]),
    );
    expect(folded.get("runs")).toBe("run");
    expect(folded.get("boxes")).toBe("box");
    expect(folded.get("diaries")).toBe("diary");
    expect(folded.has("glass")).toBe(false);
    expect(folded.has("bills")).toBe(false);
  });
});

describe("classTfIdf", () => {
  it("ranks words frequent in one cluster and rare in the others first", () => {
    const [running, money] = classTfIdf(
      [
        [
          "Long run by the canal, legs heavy.",
          "Interval run at the track, legs burning.",
          "Easy run, the canal again.",
        ],
        ["Rent went up, bills everywhere.", "Paid the bills and the rent.", "Canal walk, then bills."],
      ],
      3,
    );
    expect(running?.[0]).toBe("run");
    expect(running).toContain("legs");
    expect(money?.slice(0, 2).sort()).toEqual(["bills", "rent"]);
    expect(money).not.toContain("canal");
  });
});
