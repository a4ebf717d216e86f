import { describe, expect, it } from "vitest";
import { type DistortionLabel, detectDistortions, distortionResultSchema } from "../src/distortions.ts";

interface Example {
  text: string;
  /** Exactly these labels, in any order. */
  labels: DistortionLabel[];
  /** The evidence of the first label must contain this. */
  evidence?: string;
}

const labelsOf = (text: string) =>
  detectDistortions(text)
    .patterns.map((p) => p.label)
    .sort();

const positives: Example[] = [
  // all-or-nothing
  {
    text: "I got one question wrong, so the whole exam was a complete failure.",
    labels: ["all_or_nothing"],
    evidence: "complete failure",
  },
  { text: "If it's not perfect, it's worthless and I shouldn't bother.", labels: ["all_or_nothing"] },
  {
    text: "One mistake in the report means I'm hopeless at this job.",
    labels: ["all_or_nothing", "labelling"],
  },
  { text: "The dinner was totally ruined because the rice burned.", labels: ["all_or_nothing"] },
  // catastrophising
  { text: "If I miss this deadline it will be a total disaster.", labels: ["catastrophising"] },
  { text: "What if the headache means something serious and I die?", labels: ["catastrophising"] },
  {
    text: "This breakup has ruined my whole life.",
    labels: ["catastrophising"],
    evidence: "ruined my whole life",
  },
  { text: "I'll lose everything if the presentation goes badly.", labels: ["catastrophising"] },
  // mind reading
  { text: "My boss thinks I'm useless, I could see it in the meeting.", labels: ["mind_reading"] },
  { text: "I just know they don't like me.", labels: ["mind_reading"] },
  { text: "Everyone at the party must think I'm boring.", labels: ["mind_reading"] },
  { text: "They're all judging me for leaving early, obviously.", labels: ["mind_reading"] },
  // fortune telling
  { text: "I'll never find someone who loves me.", labels: ["fortune_telling"] },
  { text: "The interview is going to go badly, I can feel it.", labels: ["fortune_telling"] },
  { text: "I'm going to mess this up like always.", labels: ["fortune_telling"] },
  { text: "Nothing will ever change at this place.", labels: ["fortune_telling"] },
  // overgeneralisation
  { text: "Nobody ever calls me back.", labels: ["overgeneralisation"] },
  { text: "I always mess up when it matters.", labels: ["overgeneralisation"] },
  { text: "Every time I open up to someone it goes wrong.", labels: ["overgeneralisation"] },
  { text: "This always happens to me.", labels: ["overgeneralisation"] },
  // labelling
  { text: "I forgot her birthday. I'm such an idiot.", labels: ["labelling"], evidence: "I'm such an idiot" },
  { text: "Honestly I am a failure.", labels: ["labelling"] },
  { text: "I'm so stupid for trusting him.", labels: ["labelling"] },
  { text: "He's a complete jerk for not replying.", labels: ["labelling"] },
  // personalisation
  { text: "My parents are fighting again and it's all my fault.", labels: ["personalisation"] },
  { text: "Mum was quiet all evening, she must be upset because of me.", labels: ["personalisation"] },
  { text: "If only I had called him, he wouldn't have been alone that night.", labels: ["personalisation"] },
  { text: "I ruined the evening for everyone by being tired.", labels: ["personalisation"] },
  // should statements
  { text: "It's been a year. I should be over it by now.", labels: ["should_statements"] },
  { text: "I shouldn't feel this anxious about something so small.", labels: ["should_statements"] },
  { text: "I should have known he was lying.", labels: ["should_statements"] },
  { text: "I must never make mistakes at work.", labels: ["should_statements"] },
  // emotional reasoning
  { text: "I feel like a fraud, so I must be one.", labels: ["emotional_reasoning"] },
  { text: "Because I feel anxious, something bad must be about to happen.", labels: ["emotional_reasoning"] },
  { text: "It feels hopeless, so it is hopeless.", labels: ["emotional_reasoning"] },
  { text: "My gut tells me they are plotting against me.", labels: ["emotional_reasoning"] },
  // mental filter
  { text: "All I can think about is the one awkward comment I made.", labels: ["mental_filter"] },
  { text: "The good feedback doesn't count, one bad review ruined it.", labels: ["mental_filter"] },
  { text: "Even though the trip went well, all I remember is the argument.", labels: ["mental_filter"] },
  { text: "The one negative comment in my appraisal is what matters.", labels: ["mental_filter"] },
];

const negatives: Example[] = [
  { text: "Today I went for a walk, had lunch with Sam and read a few chapters.", labels: [] },
  { text: "I should call the dentist tomorrow and book a check-up.", labels: [] },
  { text: "I always enjoy my morning coffee on the balcony.", labels: [] },
  { text: "I don't think everyone hates me anymore.", labels: [] },
  { text: "I'm not a failure, I just had a hard week.", labels: [] },
  { text: "I used to believe I was a failure, but therapy helped.", labels: [] },
  { text: 'She said "you always ruin everything" and I walked away.', labels: [] },
  { text: "The film was about a catastrophe at sea; the effects were great.", labels: [] },
  { text: "It's not my fault the train was late.", labels: [] },
  { text: "Am I going to mess this up?", labels: [] },
  { text: "I feel tired today, so I'll go to bed early.", labels: [] },
  { text: "The book was called “Why I Always Fail”, which made me laugh.", labels: [] },
  { text: "Instead of thinking I'm a loser, I wrote down what went well.", labels: [] },
  { text: "My friends think I'm funny, which is nice to hear.", labels: [] },
  { text: "There is no evidence that they hate me.", labels: [] },
];

describe("detectDistortions on written examples", () => {
  it("has at least 40 examples, negatives included", () => {
    expect(positives.length + negatives.length).toBeGreaterThanOrEqual(40);
    expect(negatives.length).toBeGreaterThanOrEqual(10);
  });

  it.each(positives)("finds $labels in: $text", ({ text, labels, evidence }) => {
    expect(labelsOf(text)).toEqual([...labels].sort());
    const first = detectDistortions(text).patterns.find((p) => p.label === labels[0]);
    expect(text).toContain(first?.evidence);
    if (evidence) expect(first?.evidence).toContain(evidence);
  });

  it.each(negatives)("finds nothing in: $text", ({ text }) => {
    expect(detectDistortions(text).patterns).toEqual([]);
  });

  it("covers every label", () => {
    const covered = new Set(positives.flatMap((e) => e.labels));
    expect(covered.size).toBe(10);
  });
});

describe("scores, evidence and ordering", () => {
  it("finds several traps in one entry, strongest first, and matches the shared schema", () => {
    const text =
      "I forgot the meeting. I'm such an idiot. My boss thinks I'm useless and I'll never get promoted. " +
      "Nobody ever listens to me anyway.";
    const result = distortionResultSchema.parse(detectDistortions(text));
    expect(result.patterns.map((p) => p.label).sort()).toEqual(
      ["fortune_telling", "labelling", "mind_reading", "overgeneralisation"].sort(),
    );
    const scores = result.patterns.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const p of result.patterns) expect(text).toContain(p.evidence);
  });

  it("raises the score with repeated evidence, capped below 1", () => {
    const once = detectDistortions("I always mess up.").patterns[0];
    const thrice = detectDistortions("I always mess up. I never get anything right. I always fail.")
      .patterns[0];
    expect(once?.occurrences).toBe(1);
    expect(thrice?.occurrences).toBe(3);
    expect(thrice?.score).toBeGreaterThan(once?.score ?? 1);
    expect(thrice?.score).toBeLessThanOrEqual(0.99);
  });

  it("is deterministic and keeps the writer's own casing and apostrophes in evidence", () => {
    const text = "Everything’s my fault. I’m SUCH A LOSER.";
    const a = detectDistortions(text);
    expect(detectDistortions(text)).toEqual(a);
    expect(a.patterns.map((p) => p.evidence).sort()).toEqual(["Everything’s my fault", "I’m SUCH A LOSER"]);
  });

  it("ignores the quoted words but still reads the writer's own", () => {
    const text = 'He told me "you are a failure". I\'m such a failure, he is right.';
    const [pattern] = detectDistortions(text).patterns;
    expect(pattern?.label).toBe("labelling");
    expect(pattern?.occurrences).toBe(1);
    expect(pattern?.evidence).toBe("I'm such a failure");
  });

  it("handles empty and huge texts", () => {
    expect(detectDistortions("").patterns).toEqual([]);
    const long = `${"A calm day by the sea. ".repeat(6000)}I always mess up.`;
    expect(detectDistortions(long).patterns).toEqual([]);
    const withTrap = `I always mess up. ${"A calm day by the sea. ".repeat(6000)}`;
    expect(detectDistortions(withTrap).patterns.map((p) => p.label)).toEqual(["overgeneralisation"]);
  });
});
