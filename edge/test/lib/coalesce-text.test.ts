import { describe, expect, it } from "vitest";
import { coalesceText } from "../../src/lib/coalesce-text.ts";

/** A source the test feeds by hand: each `push` is one piece, `end` finishes it, `fail` makes it throw. */
function handFed() {
  const queue: Array<IteratorResult<string> | Error> = [];
  let wake: (() => void) | undefined;
  let returned = false;
  const deliver = (item: IteratorResult<string> | Error) => {
    queue.push(item);
    wake?.();
  };
  const source: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const item = queue.shift() as IteratorResult<string> | Error;
        if (item instanceof Error) throw item;
        return item;
      },
      async return() {
        returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return {
    source,
    push: (text: string) => deliver({ done: false, value: text }),
    end: () => deliver({ done: true, value: undefined }),
    fail: (err: Error) => deliver(err),
    returned: () => returned,
  };
}

async function* fromArray(pieces: string[]): AsyncGenerator<string> {
  for (const piece of pieces) yield piece;
}

describe("coalesceText", () => {
  it("joins pieces that are already waiting, and loses none of them", async () => {
    const pieces = Array.from({ length: 500 }, (_, i) => `w${i} `);
    const out: string[] = [];
    for await (const chunk of coalesceText(fromArray(pieces), 25)) out.push(chunk);
    expect(out.join("")).toBe(pieces.join(""));
    // The first piece goes out alone at once; the rest arrive faster than the window and are joined.
    expect(out[0]).toBe("w0 ");
    expect(out.length).toBeLessThan(10);
  });

  it("sends the first piece at once and a waiting piece when the window passes, without a next piece", async () => {
    const fed = handFed();
    const it = coalesceText(fed.source, 20)[Symbol.asyncIterator]();
    fed.push("Hello");
    expect(await it.next()).toEqual({ done: false, value: "Hello" });
    fed.push(" there");
    fed.push(",");
    // Nothing else is pushed: the pending text must still come out, on the timer.
    expect(await it.next()).toEqual({ done: false, value: " there," });
    fed.end();
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("sends what arrived before a failure, then the failure", async () => {
    const fed = handFed();
    const it = coalesceText(fed.source, 1000)[Symbol.asyncIterator]();
    fed.push("a");
    expect((await it.next()).value).toBe("a");
    fed.push("b");
    fed.push("c");
    fed.fail(new Error("model stopped"));
    expect((await it.next()).value).toBe("bc");
    await expect(it.next()).rejects.toThrow("model stopped");
  });

  it("stops reading the source when the consumer stops", async () => {
    const fed = handFed();
    const it = coalesceText(fed.source, 20)[Symbol.asyncIterator]();
    fed.push("a");
    await it.next();
    await it.return(undefined);
    expect(fed.returned()).toBe(true);
  });
});
