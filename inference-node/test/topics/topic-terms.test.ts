import { describe, expect, it } from "vitest";
import {
  classTfIdf,
  contentWords,
  lemmaForms,
  singularForms,
  topicLabel,
} from "../../src/topics/topic-terms.ts";

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

  it("still names a cluster whose entries share no word, from words one entry used", () => {
    const [, scattered] = classTfIdf(
      [
        ["Long run by the canal.", "Interval run at the track.", "Easy run, canal again."],
        [
          "Quarterly review went badly.",
          "Manager moved the deadline.",
          "Laptop crashed before the presentation.",
          "Inbox overflowing again.",
        ],
      ],
      3,
    );
    expect(scattered).toHaveLength(3);
    expect(scattered?.every((term) => term.length > 0)).toBe(true);
  });
});

describe("lemmaForms", () => {
  it("folds -ing, -ed and irregular forms onto a base the journal wrote, and nothing else", () => {
    const lemmas = lemmaForms(
      new Set([
        "run",
        "running",
        "hike",
        "hiked",
        "hiking",
        "plan",
        "planned",
        "training",
        "train",
        "ran",
        "slept",
      ]),
    );
    expect(lemmas.get("running")).toBe("run");
    expect(lemmas.get("hiked")).toBe("hike");
    expect(lemmas.get("hiking")).toBe("hike");
    expect(lemmas.get("planned")).toBe("plan");
    expect(lemmas.get("ran")).toBe("run");
    expect(lemmas.get("slept")).toBe("sleep");
    // "training" is a noun of its own, not the train to work.
    expect(lemmas.has("training")).toBe(false);
  });
});

describe("classTfIdf phrases and topicLabel", () => {
  it("finds a two-word phrase several entries share and lets it stand for its words in the label", () => {
    const [race, other] = classTfIdf(
      [
        [
          "Signed up for the half marathon in May.",
          "Half marathon training: eight kilometres, slow.",
          "Two weeks to the half marathon and my pace is fine.",
          "Started the day with a stretch.",
        ],
        ["Paid the rent late again.", "The rent went up.", "Rent, bills, the landlord."],
      ],
      6,
    );
    expect(race).toContain("half marathon");
    expect(race).not.toContain("started");
    const label = topicLabel(race ?? []);
    expect(label.startsWith("half marathon")).toBe(true);
    expect(label.split(", ").length).toBeLessThanOrEqual(2);
    expect(other?.[0]).toBe("rent");
  });

  it("labels with up to three single words", () => {
    expect(topicLabel(["dog", "walk", "vet", "lead"])).toBe("dog, walk, vet");
    expect(topicLabel(["marathon", "half marathon", "pace"])).toBe("half marathon, pace");
  });
});
