import { describe, expect, it } from "vitest";
import { matchTopics } from "../../src/topics/match-topics.ts";

const topic = (id: string, centroid: number[], memberIds: string[]) => ({ id, centroid, memberIds });

describe("matchTopics", () => {
  it("assigns one-to-one, maximising the total overlap", () => {
    const previous = [topic("A", [1, 0], ["1", "2", "3", "4"]), topic("B", [0, 1], ["5", "6", "7"])];
    const clusters = [topic("", [0, 1], ["5", "6", "7", "8"]), topic("", [1, 0], ["1", "2", "3"])];
    expect(matchTopics(clusters, previous)).toEqual([1, 0]);
  });

  it("leaves a cluster unmatched when it resembles no old topic", () => {
    const previous = [topic("A", [1, 0, 0], ["1", "2", "3"])];
    const clusters = [topic("", [0, 0, 1], ["9", "10"]), topic("", [1, 0, 0], ["1", "2"])];
    expect(matchTopics(clusters, previous)).toEqual([undefined, 0]);
  });

  it("prefers the stronger claim when two clusters want one old topic", () => {
    const previous = [topic("A", [1, 0], ["1", "2", "3", "4", "5", "6"])];
    const clusters = [topic("", [1, 0], ["1", "2"]), topic("", [1, 0], ["3", "4", "5", "6"])];
    expect(matchTopics(clusters, previous)).toEqual([undefined, 0]);
  });

  it("ignores centroids of another dimensionality (another model's vectors)", () => {
    const previous = [topic("A", [1, 0, 0], ["x"])];
    expect(matchTopics([topic("", [1, 0], ["y"])], previous)).toEqual([undefined]);
    expect(matchTopics([], previous)).toEqual([]);
    expect(matchTopics([topic("", [1, 0], ["y"])], [])).toEqual([undefined]);
  });
});
