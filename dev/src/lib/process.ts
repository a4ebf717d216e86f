import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";

export interface ManagedProcessOptions {
  /** Short name used in messages, e.g. "redis" or "edge". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr are appended; none means discarded. */
  logFile?: string;
  /** Also echo output lines, prefixed with the name (interactive `npm run dev`). */
  echo?: boolean;
  /** Called when the child exits without being asked to stop. */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/**
 * A child process that the local stack owns: started in its own process group so that stopping it
 * also stops whatever it spawned (wrangler's workerd, chroma's server), and reported when it dies.
 */
export class ManagedProcess {
  readonly name: string;
  private child: ChildProcess | undefined;
  private stopping = false;
  private log: WriteStream | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private resolveExit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  private recent: string[] = [];

  constructor(private readonly options: ManagedProcessOptions) {
    this.name = options.name;
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed, for error messages when it fails to start. */
  tail(): string {
    return this.recent.join("\n");
  }

  start(): this {
    const { options } = this;
    if (options.logFile) {
      mkdirSync(path.dirname(options.logFile), { recursive: true });
      this.log = createWriteStream(options.logFile, { flags: "a" });
    }
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.child = child;
    const onData = (chunk: Buffer) => {
      this.log?.write(chunk);
      const lines = chunk.toString("utf8").split("\n").filter(Boolean);
      this.recent.push(...lines);
      if (this.recent.length > 40) this.recent.splice(0, this.recent.length - 40);
      if (options.echo) for (const line of lines) process.stdout.write(`[${this.name}] ${line}\n`);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (err) => {
      this.recent.push(`failed to start ${options.command}: ${err.message}`);
      this.resolveExit({ code: null, signal: null });
      if (!this.stopping) options.onUnexpectedExit?.(null, null);
    });
    child.once("exit", (code, signal) => {
      this.log?.end();
      this.resolveExit({ code, signal });
      if (!this.stopping) options.onUnexpectedExit?.(code, signal);
    });
    return this;
  }

  /** Resolves when the child has exited, however it ended. */
  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /** Sends a signal to the whole group (SIGSTOP freezes a node mid-work, as a hung machine would). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  }

  /** SIGKILL to the whole group at once: a crash, as tests of failover need it (no graceful goodbye). */
  async kill(): Promise<void> {
    this.stopping = true;
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await this.exited;
  }

  /** SIGTERM to the whole process group, SIGKILL after the grace period. */
  async stop(graceMs = 8_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.pid === undefined || !this.running) return;
    const pid = child.pid;
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Grandchildren may outlive the leader: make sure the group is gone.
    signalGroup("SIGKILL");
  }
}
