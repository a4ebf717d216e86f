import { readFileSync } from "node:fs";
import { z } from "zod";

/** The package version, reported in /info and heartbeats so the edge can spot outdated nodes. */
export const NODE_VERSION: string = z
  .object({ version: z.string() })
  .parse(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))).version;
