import { InkwellError } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { Batcher, type BatchStats } from "../../src/runtime/batcher.ts";
import { deferred } from "../helpers/fake-runtime.ts";

/** Lets the batcher's queued microtask (the flush of a full or zero-wait batch) run; no timers involved. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Echoes each row's sum, so every caller can check it got its own answer back. */
function echoBatcher(options: Partial<ConstructorParameters<typeof Batcher>[0]> = {}, gate?: Promise<void>) {
  const batches: number[][][] = [];
  const stats: BatchStats[] = [];
  const batcher = new Batcher<number>(
    { maxBatchSize: 16, maxBatchTokens: 10_000, maxWaitMs: 1, queueCapacity: 1000, ...options },
    async (batch) => {
      batches.push(batch);
      await gate;
      return batch.map((ids) => ids.reduce((a, b) => a + b, 0));
    },
    { onBatch: (s) => stats.push(s) },
  );
  return { batcher, batches, stats };
}

describe("Batcher", () => {
  it("gives each of 64 concurrent callers its own result, in far fewer model calls", async () => {
    const { batcher, batches, stats } = echoBatcher();
    const callers = Array.from({ length: 64 }, (_, i) => batcher.submit([[i, i * 1000]]));
    const results = await Promise.all(callers);
    results.forEach((result, i) => {
      expect(result).toHaveLength(1);
      expect(result[0]?.output).toBe(i + i * 1000);
      expect(result[0]?.timing.batchSize).toBeGreaterThan(1);
    });
    expect(batches.length).toBe(4);
    expect(batches.every((b) => b.length === 16)).toBe(true);
    expect(stats.map((s) => s.size)).toEqual([16, 16, 16, 16]);
  });

  it("runs what arrives during a batch as the next batch", async () => {
    const gate = deferred();
    const { batcher, batches } = echoBatcher({ maxWaitMs: 0 }, gate.promise);
    const first = batcher.submit([[1]]);
    await nextTurn();
    expect(batches).toHaveLength(1);
    const later = Array.from({ length: 5 }, (_, i) => batcher.submit([[10 + i]]));
    expect(batcher.depth).toBe(5);
    expect(batcher.inFlight).toBe(1);
    gate.resolve();
    await first;
    const results = await Promise.all(later);
    expect(results.map((r) => r[0]?.output)).toEqual([10, 11, 12, 13, 14]);
    expect(batches.map((b) => b.length)).toEqual([1, 5]);
  });

  it("groups rows of similar length and respects the token budget", async () => {
    const gate = deferred();
    const { batcher, batches } = echoBatcher(
      { maxBatchSize: 4, maxBatchTokens: 40, maxWaitMs: 0 },
      gate.promise,
    );
    const hold = batcher.submit([[0]]);
    await nextTurn();
    // Queued behind the held batch: two long rows among short ones.
    const rows = [[1, 1], Array(10).fill(1), [1, 1, 1], Array(9).fill(1), [1], [1, 1]];
    const pending = rows.map((row) => batcher.submit([row]));
    gate.resolve();
    await hold;
    await Promise.all(pending);
    const lengths = batches.slice(1).map((b) => b.map((row) => row.length).sort((x, y) => x - y));
    // The oldest row (length 2) goes with the other short ones; the long ones run together.
    expect(lengths).toEqual([
      [1, 2, 2, 3],
      [9, 10],
    ]);
    for (const batch of batches)
      expect(batch.length * Math.max(...batch.map((r) => r.length))).toBeLessThanOrEqual(40);
  });

  it("refuses work with 503 and Retry-After when the queue is full, all of a caller's rows or none", async () => {
    const gate = deferred();
    const { batcher } = echoBatcher({ queueCapacity: 3, maxWaitMs: 0, retryAfterSeconds: 2 }, gate.promise);
    const running = batcher.submit([[1]]);
    await nextTurn();
    const queued = batcher.submit([[2], [3]]);
    const refused = batcher.submit([[4], [5]]);
    await expect(refused).rejects.toBeInstanceOf(InkwellError);
    await expect(refused).rejects.toMatchObject({ status: 503, headers: { "retry-after": "2" } });
    expect(batcher.depth).toBe(2);
    gate.resolve();
    expect((await queued).map((r) => r.output)).toEqual([2, 3]);
    await running;
  });

  it("fails every caller of a batch whose model call fails, and keeps serving", async () => {
    let fail = true;
    const batcher = new Batcher<number>(
      { maxBatchSize: 8, maxBatchTokens: 1000, maxWaitMs: 0, queueCapacity: 10 },
      async (batch) => {
        if (fail) throw new Error("model crashed");
        return batch.map((row) => row.length);
      },
    );
    await expect(Promise.all([batcher.submit([[1]]), batcher.submit([[2]])])).rejects.toThrow(
      "model crashed",
    );
    fail = false;
    expect((await batcher.submit([[1, 2]]))[0]?.output).toBe(2);
  });

  it("rejects queued work on close", async () => {
    const gate = deferred();
    const { batcher } = echoBatcher({ maxWaitMs: 0 }, gate.promise);
    const running = batcher.submit([[1]]);
    await nextTurn();
    const queued = batcher.submit([[2]]);
    batcher.close();
    await expect(queued).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    await expect(batcher.submit([[3]])).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    gate.resolve();
    await running;
  });
});
