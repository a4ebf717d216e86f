import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// TEMPORARY (insights engineer, local only): adds NODE_TOKEN_SECRET until the dev stack provides it.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const databaseUrl = inject<string>("databaseUrl");
      process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = databaseUrl;
      return {
        wrangler: { configPath: "../wrangler.toml" },
        miniflare: {
          bindings: { NODE_TOKEN_SECRET: "x".repeat(16) + crypto.randomUUID(), ...inject<Record<string, string>>("edgeVars") },
          hyperdrives: { HYPERDRIVE: databaseUrl },
        },
      };
    }),
  ],
  test: {
    name: "edge",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
