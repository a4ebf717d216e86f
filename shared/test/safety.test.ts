import { describe, expect, it } from "vitest";
import { assessSafety, type SafetyLevel, safetyResultSchema } from "../src/safety.ts";

/** A written set of journal lines and the level each must get. */
const examples: readonly [string, SafetyLevel][] = [
  // Nothing to flag.
  ["Had coffee with Sam and went for a long walk. Good day.", "none"],
  ["I would never hurt myself.", "none"],
  ["I don't want to die, I just want this week to end.", "none"],
  ["I'm not suicidal, just really tired of my job.", "none"],
  ["The song says 'I want to die' over and over and it's stuck in my head.", "none"],
  ['My favourite line in the film goes "I want to kill myself" and everyone laughs.', "none"],
  ["She wrote “I want to die” in her story for class.", "none"],
  ["I'm dying to see the new exhibition, and I died laughing at Tom's joke.", "none"],
  ["This cake is to die for. We absolutely killed it at the quiz.", "none"],
  ["I could kill him for eating my leftovers.", "none"],
  // Acute distress.
  ["I had a panic attack on the train and couldn't calm down.", "low"],
  ["I feel hopeless about the exams.", "low"],
  ["I can't take it anymore, everything is falling apart at work.", "low"],
  // Passive ideation and urges.
  ["Sometimes I wish I could disappear.", "moderate"],
  ["I don't want to wake up tomorrow.", "moderate"],
  ["What's the point of living like this?", "moderate"],
  ["I have the urge to cut again.", "moderate"],
  ["My boyfriend hit me last night.", "moderate"],
  // Active ideation, self-harm, danger.
  ["I want to die.", "high"],
  ["I don’t want to live anymore.", "high"],
  ["Everyone would be better off without me.", "high"],
  ["I cut myself again tonight.", "high"],
  ["I keep thinking about killing myself.", "high"],
  ["He choked me and said he would do it again.", "high"],
  // Plans, goodbyes.
  ["I'm going to kill myself tonight.", "critical"],
  ["I wrote a suicide note and put it in the drawer.", "critical"],
  ["I have decided to end my life this weekend.", "critical"],
  // Protective factors lower the level, but never below low, and not a plan.
  ["I want to die, but I talked to my therapist today and I have a safety plan.", "moderate"],
  ["Sometimes I wish I could disappear, but my kids keep me going and I'm getting help.", "low"],
  ["I'm going to kill myself tonight even though I called a helpline.", "critical"],
  // Past experiences are written about from a safer place.
  ["Years ago I used to cut myself, I am doing much better now.", "low"],
];

describe("assessSafety", () => {
  it.each(examples)("%s → %s", (text, level) => {
    const result = assessSafety(text);
    expect(safetyResultSchema.parse(result)).toEqual(result);
    expect(result.level).toBe(level);
  });

  it("offers crisis resources from moderate up, with abuse lines for abuse", () => {
    expect(assessSafety("I feel hopeless about the exams.").resources).toBeUndefined();
    const high = assessSafety("I want to die.");
    const names = high.resources?.map((r) => r.contact).join(" ") ?? "";
    expect(names).toContain("988");
    expect(names).toContain("116 123");
    expect(high.resources?.some((r) => r.url === "https://findahelpline.com")).toBe(true);
    expect(high.categories).toEqual(["suicidal_ideation"]);
    const abuse = assessSafety("My boyfriend hit me last night.");
    expect(abuse.categories).toEqual(["abuse"]);
    expect(abuse.resources?.some((r) => r.name.includes("Domestic"))).toBe(true);
  });

  it("gives reasons in its own words, never the writer's", () => {
    const text = "I keep thinking about killing myself after the argument with Maria.";
    const result = assessSafety(text);
    expect(result.reasons.length).toBeGreaterThan(0);
    for (const reason of result.reasons) {
      expect(text.toLowerCase()).not.toContain(reason.toLowerCase());
      expect(reason).not.toContain("Maria");
    }
  });

  it("is deterministic and handles empty text", () => {
    expect(assessSafety("")).toEqual({ level: "none", reasons: [] });
    const text = "I want to die. I had a panic attack.";
    expect(assessSafety(text)).toEqual(assessSafety(text));
  });
});
