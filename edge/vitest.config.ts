import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: {
        bindings: inject("edgeVars"),
        hyperdrives: { HYPERDRIVE: inject("databaseUrl") },
      },
    })),
  ],
  test: {
    name: "edge",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
