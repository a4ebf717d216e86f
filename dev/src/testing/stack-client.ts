import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../lib/paths.ts";

export interface DescribedStack {
  databaseUrl: string;
  redisUrl: string;
  redisRestUrl: string;
  qstashUrl: string;
  chromaUrl: string;
  edgeUrl: string;
  nodeUrl: string;
  edgeVars: Record<string, string>;
  dataDir: string;
}

/** Starts `stack-process.ts` and resolves once its services are up. */
export function spawnTestStack(
  parts: string[],
  label: string,
): Promise<{ stack: DescribedStack; stop(): Promise<void> }> {
  const tsx = pathToFileURL(path.join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href;
  const child = spawn(
    process.execPath,
    ["--import", tsx, path.join(repoRoot, "dev/src/testing/stack-process.ts"), parts.join(","), label],
    { cwd: repoRoot, stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.stdin?.end();
    await exited;
  };
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('{"ready":')) {
          // Service output: pass it on rather than swallow it.
          process.stderr.write(`${line}\n`);
          continue;
        }
        resolve({ stack: (JSON.parse(line) as { ready: DescribedStack }).ready, stop });
      }
    });
    child.once("exit", (code) =>
      reject(new Error(`The test stack exited (code ${code}) before it was ready`)),
    );
  });
}
