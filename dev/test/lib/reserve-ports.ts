/**
 * A separate process for ports.test.ts: reserves `count` ports of `low`-`high` in `dir`, all at once,
 * prints them as one JSON line and holds them until its stdin closes.
 */

import { freePort } from "../../src/lib/ports.ts";

const [dir = "", low = "0", high = "0", count = "0"] = process.argv.slice(2);
const ports = await Promise.all(
  Array.from({ length: Number(count) }, () =>
    freePort("127.0.0.1", { dir, range: [Number(low), Number(high)] }),
  ),
);
process.stdout.write(`${JSON.stringify({ pid: process.pid, ports })}\n`);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
