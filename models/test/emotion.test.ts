import { beforeAll, describe, expect, it } from "vitest";
import { EMOTION_ID } from "../src/offline/emotion-classifier.ts";
import { EMOTION_LABELS } from "../src/offline/emotion-prototypes.ts";
import { runTextModel } from "../src/offline/onnx-run.ts";
import type { TokenEncoder } from "../src/token-encoder.ts";
import { builtModel } from "./helpers.ts";

const { model, encoder: loadEncoder } = builtModel(EMOTION_ID);
let encoder: TokenEncoder;
beforeAll(async () => {
  encoder = await loadEncoder();
});

/** Written examples (not the prototypes) with the emotion a reader would name. */
const examples: [string, (typeof EMOTION_LABELS)[number]][] = [
  ["My landlord ignored my calls again and I am absolutely furious.", "anger"],
  ["I yelled at the driver who cut me off, I was so mad.", "anger"],
  ["The kitchen was filthy and the smell made me gag.", "disgust"],
  ["I'm terrified about the biopsy results tomorrow.", "fear"],
  ["I keep worrying that I will fail and lose everything.", "fear"],
  ["We celebrated her birthday and laughed all night, such a happy evening.", "joy"],
  ["I got the job! I'm so excited and proud.", "joy"],
  ["I miss my mum so much since the funeral, I cried all afternoon.", "sadness"],
  ["I feel lonely and empty after the breakup.", "sadness"],
  ["I could not believe it when they threw me a surprise party, I was stunned.", "surprise"],
  ["Bought milk and eggs, then took the bus home.", "neutral"],
];

describe("the prototype emotion model", () => {
  it("gives a calibrated distribution over the seven labels", async () => {
    const [scores] = await runTextModel(
      model,
      encoder,
      ["An ordinary sentence about nothing much."],
      "probabilities",
    );
    expect(scores).toHaveLength(EMOTION_LABELS.length);
    const sum = Array.from(scores ?? []).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
    // Calibrated, not one-hot: an unremarkable sentence does not get a confident emotion.
    expect(Math.max(...(scores ?? []))).toBeLessThan(0.9);
  });

  it("names the emotion of clear written examples", async () => {
    const probabilities = await runTextModel(
      model,
      encoder,
      examples.map(([t]) => t),
      "probabilities",
    );
    const misses: string[] = [];
    examples.forEach(([text, expected], i) => {
      const row = Array.from(probabilities[i] ?? []);
      const top = EMOTION_LABELS[row.indexOf(Math.max(...row))];
      const ranked = [...row].sort((a, b) => b - a);
      // The expected label is first, or a close second behind another label.
      const rank = ranked.indexOf(row[EMOTION_LABELS.indexOf(expected)] as number);
      if (top !== expected) misses.push(`${text} → ${top} (expected ${expected}, rank ${rank + 1})`);
      expect(rank, text).toBeLessThanOrEqual(1);
    });
    // A zero-shot model on static vectors: most, not all, come first.
    expect(misses.length, misses.join("\n")).toBeLessThanOrEqual(3);
  });
});
