import path from "node:path";
import { adminCommand } from "./commands/admin.ts";
import { benchCommand } from "./commands/bench.ts";
import { chaosCommand } from "./commands/chaos.ts";
import { devCommand } from "./commands/dev.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { testCommand, typecheckCommand } from "./commands/test.ts";
import { packageDir, repoRoot } from "./lib/paths.ts";
import { runInherit } from "./lib/run.ts";

const usage = `Usage: npm run <command>
  dev     start the whole local stack (Postgres, Redis, QStash, Chroma, the edge and a node)
  test    lint, type-check and run every test suite against real services
  admin   operator commands: create-admin --email …, promote --email …
  models  list | pull <id> | build-offline | verify the inference node's models
  db:migrate   apply migrations/ to the database at DATABASE_URL (production or any Postgres)
  typecheck    type-check every package
  db:generate  generate a migration from the edge's drizzle schema
  bench   run the benchmarks (npm run bench -- <name> for one); figures go to bench/results/
  chaos   the fault campaign: writers under load while every part is killed and restarted, then the
          invariants (npm run chaos -- --entries N --writers N --seed N --duration 10m); .data/chaos/
  soak    a steady mixed load for ten minutes (npm run soak -- --minutes N); .data/soak/
  eval    crisis assessment, sentiment and emotions, search quality and topics on the project's own
          evaluation sets (npm run eval -- --topics for topics alone); figures go to eval/results/`;

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case "dev":
      return await devCommand();
    case "test":
      return await testCommand(args);
    case "models": {
      // Loaded on demand: the model tooling pulls in onnxruntime, which the other commands do not need.
      const { main: modelsMain } = await import("@inkwell/models/cli");
      return await modelsMain(args);
    }
    case "bench":
      return await benchCommand(args);
    case "chaos":
      return await chaosCommand(args);
    case "eval": {
      // Loaded on demand, like models: it pulls in onnxruntime and embedded Postgres.
      const { main: evalMain } = await import("../../models/eval/run.ts");
      return await evalMain(args);
    }
    case "admin":
      return await adminCommand(args);
    case "db:migrate":
      return await migrateCommand();
    case "typecheck":
      return await typecheckCommand();
    case "db:generate":
      return await runInherit(
        process.execPath,
        [path.join(packageDir("drizzle-kit", path.join(repoRoot, "edge")), "bin.cjs"), "generate"],
        { cwd: path.join(repoRoot, "edge") },
      );
    default:
      process.stdout.write(`${usage}\n`);
      return command === "help" || command === undefined ? 0 : 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\n✖ ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
