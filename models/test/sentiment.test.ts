import { beforeAll, describe, expect, it } from "vitest";
import { readModelRecord } from "../src/files.ts";
import { runTextModel } from "../src/offline/onnx-run.ts";
import { SENTIMENT_ID } from "../src/offline/sentiment-classifier.ts";
import { loadUciSentences, splitUci } from "../src/offline/sentiment-data.ts";
import type { TokenEncoder } from "../src/token-encoder.ts";
import { builtModel, modelsDir } from "./helpers.ts";

const { model, encoder: loadEncoder } = builtModel(SENTIMENT_ID);
let encoder: TokenEncoder;
beforeAll(async () => {
  encoder = await loadEncoder();
});

/** Below this held-out accuracy the sentiment model is not worth shipping. */
const ACCURACY_FLOOR = 0.78;

describe("the UCI sentiment model", () => {
  it(`scores above ${ACCURACY_FLOOR} on the fixed held-out split, through the exported ONNX file`, async () => {
    const { heldOut, train } = splitUci(await loadUciSentences());
    expect(heldOut.length).toBeGreaterThan(550);
    const trainTexts = new Set(train.map((s) => s.text));
    expect(heldOut.some((s) => trainTexts.has(s.text))).toBe(false);
    const probabilities = await runTextModel(
      model,
      encoder,
      heldOut.map((s) => s.text),
      "probabilities",
    );
    const correct = probabilities.filter(
      (p, i) => ((p[1] as number) >= 0.5 ? 1 : 0) === heldOut[i]?.label,
    ).length;
    const accuracy = correct / heldOut.length;
    process.stdout.write(
      `held-out sentiment accuracy: ${(accuracy * 100).toFixed(1)}% (${heldOut.length} sentences)\n`,
    );
    expect(accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR);
    for (const p of probabilities) expect((p[0] as number) + (p[1] as number)).toBeCloseTo(1, 5);
    const record = await readModelRecord(`${modelsDir}/${SENTIMENT_ID}/model-record.json`);
    expect(record?.metrics?.heldOutAccuracy).toBeCloseTo(accuracy, 6);
  });

  it("reads clear journal sentences the right way round", async () => {
    const cases: [string, 0 | 1][] = [
      ["Today was wonderful, I loved every minute with my friends.", 1],
      ["I am so grateful and happy with how the day went.", 1],
      ["This was a terrible, awful day and I hated it.", 0],
      ["The meeting was a disaster and I feel horrible.", 0],
      ["I did not enjoy the food, it was bland and disappointing.", 0],
    ];
    const probabilities = await runTextModel(
      model,
      encoder,
      cases.map(([t]) => t),
      "probabilities",
    );
    cases.forEach(([text, label], i) => {
      expect((probabilities[i]?.[1] as number) >= 0.5 ? 1 : 0, text).toBe(label);
    });
  });
});
