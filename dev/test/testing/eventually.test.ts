import { describe, expect, it } from "vitest";
import { eventually } from "../../src/testing/eventually.ts";

describe("eventually", () => {
  it("returns the first value that is neither undefined nor false, running `between` between polls", async () => {
    let polls = 0;
    let sweeps = 0;
    const value = await eventually(
      async () => {
        polls += 1;
        if (polls === 1) return undefined;
        if (polls === 2) return false;
        return { polls, sweeps };
      },
      {
        intervalMs: 1,
        between: async () => {
          sweeps += 1;
        },
      },
    );
    expect(value).toEqual({ polls: 3, sweeps: 2 });
  });

  it("fails after the timeout, naming what it waited for", async () => {
    let polls = 0;
    const waiting = eventually(
      async () => {
        polls += 1;
        return undefined;
      },
      { timeoutMs: 30, intervalMs: 5, what: () => `the queue to drain (${polls} polls)` },
    );
    await expect(waiting).rejects.toThrow(/^timed out waiting for the queue to drain \(\d+ polls\)$/);
    expect(polls).toBeGreaterThan(1);
  });

  it("takes a bare number as the timeout", async () => {
    await expect(eventually(async () => undefined, 20)).rejects.toThrow(
      "timed out waiting for the condition",
    );
  });
});
