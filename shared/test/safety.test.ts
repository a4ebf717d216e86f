import { describe, expect, it } from "vitest";
import {
  assessSafety,
  levelFromSignals,
  mergeSafety,
  readSignals,
  type SafetyLevel,
  type SafetySignal,
  safetyResultSchema,
  safetyWindows,
} from "../src/safety.ts";

/**
 * Sentences written for these tests (not taken from the crisis evaluation set), one or more per signal
 * family and per kind of text that is not risk, with the level each must get.
 */
const risk: readonly [string, SafetyLevel][] = [
  // Passive ideation.
  ["Some days I wish I could just not wake up.", "moderate"],
  ["honestly everyone at home would be better off without me", "moderate"],
  ["whats the point of living like this", "moderate"],
  // Active ideation.
  ["I keep thinking about killing myself.", "high"],
  ["i want to die", "high"],
  ["i dont want to live anymore", "high"],
  ["wanna die so bad rn", "high"],
  ["been having suicidal thoughts all week", "high"],
  // Intent, plan, means, timing, in plain lower case without punctuation.
  ["im going to end my life tonite", "critical"],
  ["ive got the pils saved up and im doing it after everyone goes to bed", "critical"],
  ["the rope is in the garage saturday when the house is empty", "critical"],
  ["i have been stockpiling my tablets for weeks there are enough now", "high"],
  ["googled how many paracetamol it takes", "critical"],
  ["ive worked out exactly how i would do it and the date is friday", "critical"],
  ["rope is in the shed waiting till the kids are at their dads this weekend", "critical"],
  // Preparatory acts.
  ["Wrote a suicide note and left it on my desk.", "high"],
  [
    "gave my cat to the neighbour and wrote letters for everyone i wont need anything after friday",
    "critical",
  ],
  ["this is my last entry. thank you for everything", "high"],
  // Past attempts.
  ["I tried to kill myself two years ago and lately I wish I was dead again.", "high"],
  // Self-harm acts and urges.
  ["cut myself again last night", "high"],
  ["I burned my arm with a lighter on purpose", "high"],
  ["The urge to cut is so strong tonight.", "moderate"],
  // Plain forms: a place or a means and a time, in fragments, lower case, no clinical words.
  ["driving into the reservoir tonight. seatbelt off", "critical"],
  ["going off the viaduct sunday, first light", "critical"],
  ["im jumping tonite", "critical"],
  ["walking into the estuary after the fireworks and not coming back", "critical"],
  ["scarf round the bannister when the house is empty tomorrow", "critical"],
  ["taking the whole box from the kitchen drawer when mum is asleep", "critical"],
  ["last night on earth", "high"],
  ["i want my life to be over", "high"],
  ["so over being alive", "high"],
  ["done with being alive. not a break, done", "high"],
  ["dont try and talk me out of it", "high"],
  ["this time next week i'll be dead", "critical"],
  // Plain self-harm.
  ["carved his initials into my thigh with a compass", "high"],
  ["held my palm on the hob ring till it blistered", "high"],
  ["scratched til it bled again", "high"],
  ["cut. again.", "high"],
  // Abuse.
  ["he said he'll snap my neck if i tell anyone", "high"],
  ["My boyfriend hit me last night.", "moderate"],
  ["He choked me and said next time he will not stop.", "high"],
];

const notRisk: readonly [string, SafetyLevel][] = [
  ["Had coffee with Sam and went for a long walk. Good day.", "none"],
  // Negation.
  ["I would never hurt myself.", "none"],
  ["im not suicidal just really tired of my job", "none"],
  ["I don't want to die, I just want this week to be over.", "none"],
  ["I'm not going to kill myself, I just need to vent.", "none"],
  // Fiction, games, quotes, lyrics, news.
  ["In the novel the heroine takes her own life in the last chapter.", "none"],
  ["my character died to a skeleton and i want to die (in the game, obviously)", "none"],
  ["The song says 'I want to die' over and over and it's stuck in my head.", "none"],
  ['My favourite line in the film goes "I want to kill myself" and everyone laughs.', "none"],
  ["Read an article about a man who killed himself after losing his job. So sad.", "none"],
  // Someone else's story.
  ["My friend told me she wants to kill herself and I stayed with her until her mum came.", "none"],
  ["Mum thinks I want to kill myself because of my diary. I don't.", "none"],
  ["Our patient in bay two took an overdose last night.", "none"],
  ["Then Jess told me she wants to die and I didn't know what to say.", "none"],
  // Recovery, in the past tense.
  ["Years ago I used to cut myself. I am in a much better place now.", "low"],
  ["A year ago I wanted to die. This spring I'm planting tomatoes.", "low"],
  ["I was suicidal for most of my twenties. Therapy helped and I'm doing so much better.", "low"],
  // Idioms, hyperbole and dark humour.
  ["this commute is killing me", "none"],
  ["I'd die for a coffee right now.", "none"],
  ["I'm dying to see the new exhibition, and I died laughing at Tom's joke.", "none"],
  ["We absolutely killed it at the quiz. My phone died on the way home.", "none"],
  ["My boss is going to kill me when she sees the report.", "none"],
  ["So hungover this morning I wanted to die.", "none"],
  ["The worst pain of my life, the kidney stone. I genuinely wanted to die in A&E.", "none"],
  ["ugh i want to die lol this group project", "none"],
  ["He hit me with a pillow during the pillow fight and I laughed so hard.", "none"],
  ["Bought a new skipping rope, and charcoal for the barbecue.", "none"],
  // Work and study.
  ["Suicide awareness training at work today, useful and sobering.", "none"],
  ["Essay on whether Juliet's suicide is an act of agency. 1,500 words to go.", "none"],
  // Ordinary goodbyes, giving away, counting, places.
  ["Gave away my books before moving abroad and said goodbye to everyone at the pub.", "none"],
  ["Counted the tablets in my dosette box and ordered the repeat prescription.", "none"],
  ["Went up to the top floor of the car park to get a photo of the sunset.", "none"],
  ["I'm so done with this semester. Done done done.", "none"],
  ["Walked over the footbridge to the station and caught the 7:40.", "none"],
  ["tonight's the night!! first gig in the new band, so nervous", "none"],
  ["i am ending it tonight. with my boyfriend i mean, six months of nothing", "none"],
  ["Bought a hosepipe for the allotment and some twine for the beans.", "none"],
  ["Drove into the car park at work and sat in the car finishing my coffee.", "none"],
  ["Cut my thumb slicing onions for the curry, bled everywhere.", "none"],
  // Acute distress alone.
  ["I had a panic attack on the train and couldn't calm down.", "low"],
];

describe("assessSafety: signals", () => {
  it.each(risk)("%s → %s", (text, level) => {
    const result = assessSafety(text);
    expect(safetyResultSchema.parse(result)).toEqual(result);
    expect(result.level).toBe(level);
  });
});

describe("assessSafety: what is not risk", () => {
  it.each(notRisk)("%s → %s", (text, level) => {
    expect(assessSafety(text).level).toBe(level);
  });
});

describe("levelFromSignals", () => {
  const level = (signals: SafetySignal[], timed = false) => levelFromSignals(new Set(signals), timed);

  it("follows the documented table", () => {
    expect(level([])).toBe("none");
    expect(level(["distress"])).toBe("low");
    expect(level(["history"])).toBe("low");
    expect(level(["passive_ideation"])).toBe("moderate");
    expect(level(["self_harm_urge"])).toBe("moderate");
    expect(level(["abuse"])).toBe("moderate");
    expect(level(["active_ideation"])).toBe("high");
    expect(level(["self_harm"])).toBe("high");
    expect(level(["means"])).toBe("high");
    expect(level(["abuse_threat"])).toBe("high");
    expect(level(["past_attempt", "passive_ideation"])).toBe("high");
    expect(level(["means", "timing"], true)).toBe("critical");
    expect(level(["intent"])).toBe("high");
    expect(level(["intent", "plan"])).toBe("critical");
    expect(level(["intent", "plan", "means"])).toBe("critical");
    expect(level(["plan", "means"])).toBe("critical");
    expect(level(["preparatory", "active_ideation"])).toBe("critical");
  });

  it("never lowers high or critical for protective factors", () => {
    expect(level(["active_ideation", "protective"])).toBe("high");
    expect(
      assessSafety("I want to die, but I talked to my therapist today and I have a safety plan.").level,
    ).toBe("high");
    const result = assessSafety("im going to kill myself tonight even though i called a helpline");
    expect(result.level).toBe("critical");
    expect(result.reasons.some((r) => r.startsWith("protective factor"))).toBe(true);
  });
});

describe("readSignals", () => {
  it("normalises typos and contractions before matching", () => {
    const reading = readSignals("Im gonna kill myslef tonite, dont stop me");
    expect(reading.text).toContain("i am going to kill myself tonight");
    expect(reading.text).toContain("do not");
  });

  it("keeps a cancelled phrase with the reason, so a meaning layer can defer to it", () => {
    const hit = readSignals("I would never kill myself.").hits.find((h) => h.signal === "active_ideation");
    expect(hit?.cancelledBy).toBe("negated");
  });

  it("reads run-on text in clause windows", () => {
    const reading = readSignals(
      "work was fine i made pasta and watched half a film and then i sat on the kitchen floor for an hour thinking nobody would notice if i was gone and the cat came and sat with me",
    );
    const windows = safetyWindows(reading);
    expect(windows.length).toBeGreaterThan(1);
    for (const w of windows) expect(w.text.split(" ").length).toBeLessThanOrEqual(18);
  });
});

describe("results", () => {
  it("offers crisis resources from moderate up, with abuse lines for abuse", () => {
    expect(assessSafety("I had a panic attack on the train.").resources).toBeUndefined();
    const high = assessSafety("I want to die.");
    const contacts = high.resources?.map((r) => r.contact).join(" ") ?? "";
    expect(contacts).toContain("988");
    expect(contacts).toContain("116 123");
    expect(high.resources?.some((r) => r.url === "https://findahelpline.com")).toBe(true);
    expect(high.categories).toEqual(["suicidal_ideation"]);
    expect(high.signals).toContain("active_ideation");
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

  it("merges a node's reading with the rules: the higher level wins", () => {
    const rules = assessSafety("I had a panic attack.");
    const node = assessSafety("I want to die.");
    expect(mergeSafety(rules, node)).toBe(node);
    expect(mergeSafety(node, rules)).toBe(node);
    expect(mergeSafety(rules, null)).toBe(rules);
  });
});
