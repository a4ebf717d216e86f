import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const databaseUrl = inject<string>("databaseUrl");
      // wrangler reads the Hyperdrive binding's local connection string from here while parsing the config.
      process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = databaseUrl;
      return {
        wrangler: { configPath: "../wrangler.toml" },
        miniflare: {
          bindings: inject<Record<string, string>>("edgeVars"),
          hyperdrives: { HYPERDRIVE: databaseUrl },
        },
      };
    }),
  ],
  test: {
    name: "edge",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Every test makes its own users, keys and client addresses, so files need no isolation from
    // each other; sharing one module graph cuts the suite's run time by more than half.
    isolate: false,
    // One retry, for sign-in tests only ever seen failing when a loaded two-core machine made a single
    // request take many seconds; a test that fails twice still fails the run.
    retry: 1,
    // Generous: the suites share one workerd isolate, and on two loaded cores a test's requests queue
    // behind other files' (password hashing at 100k PBKDF2 iterations among them).
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
