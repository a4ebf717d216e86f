import { beforeAll, describe, expect, it } from "vitest";
import { type CrisisEvaluation, evaluateCrisisModels } from "../../eval/crisis-eval.ts";
import { type CrisisItem, type CrisisMetrics, loadCrisisSet, split } from "../../eval/crisis-set.ts";

/**
 * Floors under the held-out figures of the crisis assessment, so a regression fails CI. They sit a little
 * under what the current rules and heads reach; raise them as the assessment improves, never lower them to make a change pass.
 * (Last set at 4,350 items, after 700 items whose look-alikes share the risk items' means and times ("the
 * car is in the garage for its mot tomorrow after work") and a retraining on the larger training split:
 * held out, USE-lite 0.72 with tricky false alarms 0.10, the edge 0.56 with 0.08, the static model 0.66 with
 * 0.11. The heads trained on 3,650 items read the enlarged set at 0.75 with 0.11 tricky false alarms for
 * USE-lite; the static model's tricky ceiling rose from 0.11 to 0.12 with the harder look-alikes. USE-lite
 * is the default wherever a node can run it. Then the entry heads learned to read the rules' findings and to
 * veto their everyday cues: held out, USE-lite 0.80 with 67 of 353 critical items below high and tricky false
 * alarms 0.10, ordinary 0.04; the static model 0.73 with 0.11 and 0.04. Then the rules learnt the plain forms
 * (a place or a means with a time in fragments, plain self-harm, "i want my life to be over") from the
 * training split, and the heads were retrained on them: held out, rules alone 0.42, the edge 0.65 with
 * tricky false alarms 0.09, USE-lite 0.83 with 63 of 353 critical items below high and 0.10, the static
 * model 0.79 with 0.11. With 119 more items (70 at risk in plain forms, 49 look-alikes paired with them) and
 * the heads retrained, at 4,469 items: USE-lite 0.83 with 66 of 370 critical below high and tricky false
 * alarms 0.10, the edge 0.65 with 0.09, the static model 0.79 with 0.11.)
 */
const FLOORS: Record<string, { highRecall: number; trickyFalseAlarm: number; ordinaryFalseAlarm: number }> = {
  "rules alone": { highRecall: 0.4, trickyFalseAlarm: 0.1, ordinaryFalseAlarm: 0.04 },
  edge: { highRecall: 0.62, trickyFalseAlarm: 0.1, ordinaryFalseAlarm: 0.04 },
  "use-lite": { highRecall: 0.8, trickyFalseAlarm: 0.11, ordinaryFalseAlarm: 0.05 },
  "inkwell-static-embed-100d": { highRecall: 0.76, trickyFalseAlarm: 0.12, ordinaryFalseAlarm: 0.05 },
};

let items: CrisisItem[];
let evaluation: CrisisEvaluation;

beforeAll(async () => {
  items = await loadCrisisSet();
  evaluation = await evaluateCrisisModels({ items, models: ["use-lite", "inkwell-static-embed-100d"] });
}, 300_000);

describe("the crisis set", () => {
  it("has the promised size and spread, and a held-out third", () => {
    expect(items.length).toBeGreaterThanOrEqual(300);
    const highOrCritical = items.filter((i) => i.level === "high" || i.level === "critical");
    expect(highOrCritical.length).toBeGreaterThanOrEqual(60);
    expect(items.filter((i) => i.group === "tricky").length).toBeGreaterThanOrEqual(60);
    const heldout = items.filter((i) => split(i) === "heldout").length / items.length;
    expect(heldout).toBeGreaterThan(0.25);
    expect(heldout).toBeLessThan(0.42);
  });

  it("splits by id alone", () => {
    expect(split({ id: "x-1" })).toBe(split({ id: "x-1" }));
    for (const item of items) expect(split({ id: item.id })).toBe(split(item));
  });
});

describe("crisis assessment on the held-out split", () => {
  const check = (name: string, metrics: CrisisMetrics) => {
    const floor = FLOORS[name];
    if (!floor) throw new Error(`no floor for ${name}`);
    expect(metrics.highRecall, `${name}: high/critical recall`).toBeGreaterThanOrEqual(floor.highRecall);
    expect(metrics.trickyFalseAlarm, `${name}: tricky false alarms`).toBeLessThanOrEqual(
      floor.trickyFalseAlarm,
    );
    expect(metrics.ordinaryFalseAlarm, `${name}: ordinary false alarms`).toBeLessThanOrEqual(
      floor.ordinaryFalseAlarm,
    );
    // Held-out results carry figures only, never which items they were.
    expect(metrics.misses).toBeUndefined();
  };

  it("rules alone", () => {
    check("rules alone", evaluation.rulesOnly.heldout);
  });

  it("rules and the lexical reader (the edge without a node), which finds more than the rules alone", () => {
    check("edge", evaluation.edge.heldout);
    expect(evaluation.edge.heldout.highRecall).toBeGreaterThan(evaluation.rulesOnly.heldout.highRecall);
  });

  it.each(["use-lite", "inkwell-static-embed-100d"])("rules plus meaning with %s", (model) => {
    const found = evaluation.models.find((m) => m.model === model);
    expect(found?.thresholds, `${model} has a trained head`).toBeDefined();
    check(model, (found as NonNullable<typeof found>).report.heldout);
    // Meaning only adds signals: a node never finds less than the edge on the same items.
    expect(found?.report.heldout.highRecall).toBeGreaterThanOrEqual(evaluation.edge.heldout.highRecall);
  });
});
