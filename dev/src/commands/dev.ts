import path from "node:path";
import { ensureOfflineModels } from "@inkwell/models/offline/build";
import { portsFromEnv } from "../config.ts";
import { dataRoot, repoRoot } from "../lib/paths.ts";
import { takeOverSignals } from "../lib/signals.ts";
import { ensureRedisServer } from "../redis/redis-server.ts";
import { loadOrCreateDevSecrets } from "../secrets.ts";
import { startStack } from "../stack.ts";
import { ensureWebBuild } from "../web/build-web.ts";

const say = (message: string) => process.stdout.write(`${message}\n`);

/** `npm run dev`: the whole system on this machine until Ctrl-C. */
export async function devCommand(): Promise<number> {
  const started = Date.now();
  const ports = portsFromEnv(process.env);
  const devVars = path.join(repoRoot, ".dev.vars");
  const { secrets, created } = loadOrCreateDevSecrets(devVars);
  if (created) say("wrote .dev.vars with fresh random secrets (git-ignored)");
  await ensureRedisServer(say);
  // The node refuses to start without its models; building them is a no-op once they are current.
  await ensureOfflineModels((message) => say(`  ${message}`));
  // The Worker serves the journal app from web/dist.
  await ensureWebBuild((message) => say(`  ${message}`));

  let shuttingDown: Promise<void> | undefined;
  let firstSignalAt = 0;
  let exitCode = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  // Taken over before anything starts, so Ctrl-C during start-up also stops whatever came up.
  takeOverSignals(() => {
    // npm and the terminal may both deliver the same Ctrl-C; only a later one forces the exit.
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      void shutdown();
    } else if (now - firstSignalAt > 2_000) {
      say("forced exit: some services may still be running.");
      process.exit(130);
    }
  });

  const starting = startStack({
    dataDir: path.join(dataRoot, "dev"),
    ports,
    secrets,
    persistent: true,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    echo: process.env.INKWELL_ECHO === "1",
    log: (m) => say(`  ${m}`),
    onCrash: (service, detail) => {
      say(`\n✖ ${service} ${detail}. Stopping everything.`);
      exitCode = 1;
      void shutdown();
    },
  });

  function shutdown(): Promise<void> {
    shuttingDown ??= (async () => {
      say("\nstopping the local stack …");
      try {
        const running = await starting;
        await running.stop();
      } catch {
        // A start that failed has already stopped what it started.
      }
      say("stopped; nothing left running.");
      resolveDone();
    })();
    return shuttingDown;
  }

  const stack = await starting;
  if (shuttingDown) {
    await done;
    return 130;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(`
Inkwell is running (ready in ${seconds} s).

  Journal app  ${stack.edgeUrl}        (sign up there; operators: ${stack.edgeUrl}/console)
  Edge API     ${stack.edgeUrl}/v1     (docs: ${stack.edgeUrl}/docs)
  Readiness    curl ${stack.edgeUrl}/health/ready
  Node         ${stack.nodeUrl}/health   (hardware, models: ${stack.nodeAdminUrl}/info; Prometheus: ${stack.nodeAdminUrl}/metrics)
  Logs         ${path.join(dataRoot, "dev", "logs")}

Get a token:
  curl -s -X POST ${stack.edgeUrl}/v1/auth/register -H 'Content-Type: application/json' \\
    -d '{"email":"you@example.com","password":"a long passphrase"}'
  (the answer carries accessToken; send it as "Authorization: Bearer <accessToken>")

Press Ctrl-C to stop every service.`);
  // wrangler dev fires Cron Triggers only on request: be the clock, so the job sweep runs as deployed.
  const cron = setInterval(() => {
    fetch(`${stack.edgeUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`)
      .then((res) => res.body?.cancel())
      .catch(() => {
        // The edge is restarting or stopping; the next minute tries again.
      });
  }, 60_000);
  cron.unref();
  await done;
  clearInterval(cron);
  return exitCode;
}
