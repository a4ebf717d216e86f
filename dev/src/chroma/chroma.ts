import path from "node:path";
import { packageDir, repoRoot } from "../lib/paths.ts";
import { assertPortFree, waitForHttp } from "../lib/ports.ts";
import { ManagedProcess } from "../lib/process.ts";

export interface ChromaOptions {
  port: number;
  dataDir: string;
  logFile?: string;
  echo?: boolean;
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** The `chroma` CLI of the chromadb package runs the real Chroma server from its native binding. */
function chromaCli(): string {
  return path.join(packageDir("chromadb", path.join(repoRoot, "dev")), "dist/cli.mjs");
}

export interface RunningChroma {
  url: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would end it. */
  kill(): Promise<void>;
  pid(): number | undefined;
}

export async function startChroma(options: ChromaOptions): Promise<RunningChroma> {
  await assertPortFree("127.0.0.1", options.port, "CHROMA_PORT");
  const child = new ManagedProcess({
    name: "chroma",
    command: process.execPath,
    args: [
      chromaCli(),
      "run",
      "--path",
      options.dataDir,
      "--host",
      "127.0.0.1",
      "--port",
      String(options.port),
    ],
    env: { ...process.env, ANONYMIZED_TELEMETRY: "False", CHROMA_TELEMETRY_ENABLED: "false" },
    ...(options.logFile ? { logFile: options.logFile } : {}),
    ...(options.echo ? { echo: options.echo } : {}),
    ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
  }).start();
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await Promise.race([
      waitForHttp(`${url}/api/v2/heartbeat`, { timeoutMs: 60_000 }),
      child.waitForExit().then(() => {
        throw new Error(`Chroma exited during start-up:\n${child.tail()}`);
      }),
    ]);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    url,
    stop: () => child.stop(),
    kill: () => child.kill(),
    pid: () => (child.running ? child.pid : undefined),
  };
}
