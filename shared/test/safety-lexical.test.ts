import { describe, expect, it } from "vitest";
import {
  assessSafety,
  assessSafetyByRules,
  LEXICAL_DIMS,
  LEXICAL_MODEL,
  lexicalFeatures,
  lexicalRisk,
  lexicalText,
  lexicalTokens,
  readSignals,
  wholeTextSignals,
} from "../src/index.ts";

describe("the lexical reader's features", () => {
  it("reads 'don't' and 'dont', upper and lower case, alike", () => {
    expect(lexicalTokens("I DON'T know")).toEqual(lexicalTokens("i dont know"));
    expect([...lexicalFeatures("I DON'T know").keys()]).toEqual([...lexicalFeatures("i dont know").keys()]);
  });

  it("shares character n-grams between a word and its misspelling", () => {
    const right = new Set(lexicalFeatures("tablets").keys());
    const typo = [...lexicalFeatures("tabelts").keys()];
    expect(typo.filter((b) => right.has(b)).length).toBeGreaterThan(2);
  });

  it("stays inside the hashed space and weighs a short text less than a long one", () => {
    const short = lexicalFeatures("rough day");
    const long = lexicalFeatures(
      "rough day at work again, the printer jammed and the meeting ran over by an hour and a half",
    );
    for (const index of [...short.keys(), ...long.keys()]) {
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(LEXICAL_DIMS);
    }
    const norm = (f: Map<number, number>) => Math.sqrt([...f.values()].reduce((s, v) => s + v * v, 0));
    expect(norm(short)).toBeLessThan(norm(long));
    expect(norm(long)).toBeLessThanOrEqual(1 + 1e-9);
  });
});

describe("the shipped lexical model", () => {
  it("is trained and has a threshold", () => {
    expect(LEXICAL_MODEL.dims).toBe(LEXICAL_DIMS);
    expect(LEXICAL_MODEL.indices.length).toBeGreaterThan(1000);
    expect(LEXICAL_MODEL.indices.length).toBe(LEXICAL_MODEL.values.length);
    expect(LEXICAL_MODEL.threshold).toBeGreaterThan(0.3);
    expect(LEXICAL_MODEL.threshold).toBeLessThan(1);
  });

  it("blanks what the rules read as someone else's, so it reads only the writer's own words", () => {
    const reading = readSignals("mum thinks i want to kill myself because of my diary. i dont.");
    expect(lexicalText(reading)).not.toContain("kill");
    expect(lexicalText(reading)).toHaveLength(reading.text.length);
  });

  it("catches plainly written risk the rules alone miss, in wording of its own", () => {
    // Written for this test: no rule names a method, a plan or a wish to die here.
    const text = "gave my guitar to my cousin and wrote the kids a letter each. i feel calm now that i know";
    expect(assessSafetyByRules(text).level).toBe("none");
    expect(["high", "critical"]).toContain(assessSafety(text).level);
    expect(assessSafety(text).reasons.join(" ")).toMatch(/reads, as a whole/);
  });

  it("leaves everyday entries alone", () => {
    for (const text of [
      "had pasta for tea and watched the match with dad, we lost again",
      "i feel a bit low today but the walk helped",
      "why do I keep doing this",
      "my boyfriend forgot my birthday again",
      "Long day. Finished the quarterly report, picked up the kids, and fell asleep on the sofa by nine.",
    ]) {
      expect(assessSafety(text).level, text).toBe("none");
    }
  });

  it("does not fire on a few words with no cue the rules saw, nor (the lexical reader) on abuse alone", () => {
    const reading = readSignals("why do i keep doing this");
    expect(wholeTextSignals(reading, 0.99, 0.5)).toEqual([]);
    const abuse = readSignals("my boyfriend hit me last night and i am scared to go home after work");
    expect(wholeTextSignals(abuse, 0.99, 0.5, { lexical: true })).toEqual([]);
    expect(wholeTextSignals(abuse, 0.99, 0.5)).toHaveLength(1);
  });

  it("is not explained away by a negated or past phrase: masking and a past attempt beside preparations", () => {
    const preparations =
      "gave my guitar to my cousin and wrote the kids a letter each. i feel calm now that i know";
    for (const opening of [
      "I'm not going to kill myself, don't worry.",
      "I tried to kill myself when I was 16.",
    ]) {
      const reading = readSignals(`${opening} ${preparations}`);
      expect(
        reading.hits.some((h) => h.cancelledBy),
        opening,
      ).toBe(true);
      expect(wholeTextSignals(reading, 0.99, 0.5, { lexical: true }), opening).toHaveLength(1);
    }
  });

  it("is explained away when every risk phrase is someone else's", () => {
    const reading = readSignals(
      "mum thinks i want to kill myself because of my diary, which is silly really",
    );
    expect(wholeTextSignals(reading, 0.99, 0.5, { lexical: true })).toEqual([]);
  });

  it("adds nothing for a probability that is not a number", () => {
    const reading = readSignals("nobody will have to put up with me after friday, it is all sorted");
    expect(wholeTextSignals(reading, Number.NaN, 0.5)).toEqual([]);
    expect(lexicalRisk(reading)).toBeGreaterThanOrEqual(0);
  });
});
