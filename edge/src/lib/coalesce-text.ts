/**
 * Joins text pieces that arrive close together, so a fast model is relayed as a few events per frame
 * instead of one event per token. The first piece, and any piece after a pause of `windowMs`, goes out at
 * once; pieces arriving within the window wait at most `windowMs` for the next flush. Nothing is dropped:
 * the joined output is the input, in order, also when the source fails. Stopping the consumer stops
 * reading the source.
 */
export async function* coalesceText(source: AsyncIterable<string>, windowMs: number): AsyncGenerator<string> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  let pending = "";
  let lastFlush = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      let result: IteratorResult<string>;
      if (pending) {
        const wait = Math.max(0, lastFlush + windowMs - Date.now());
        const due = new Promise<"due">((resolve) => {
          timer = setTimeout(() => resolve("due"), wait);
        });
        const first = await Promise.race([next, due]);
        clearTimeout(timer);
        if (first === "due") {
          yield pending;
          pending = "";
          lastFlush = Date.now();
          continue;
        }
        result = first;
      } else {
        result = await next;
      }
      if (result.done) break;
      pending += result.value;
      next = iterator.next();
      if (Date.now() - lastFlush >= windowMs) {
        yield pending;
        pending = "";
        lastFlush = Date.now();
      }
    }
    if (pending) yield pending;
  } catch (err) {
    // What arrived before the failure still goes out first.
    if (pending) yield pending;
    throw err;
  } finally {
    clearTimeout(timer);
    // A read still in flight settles once the source is aborted; nobody waits for it.
    next.catch(() => {});
    void iterator.return?.()?.catch(() => {});
  }
}
