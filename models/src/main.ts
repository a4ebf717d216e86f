import { main } from "./cli.ts";

// A direct entry for places without the dev tooling (the Docker build): `tsx models/src/main.ts build-offline`.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
