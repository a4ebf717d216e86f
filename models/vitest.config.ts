import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "models",
    include: ["test/**/*.test.ts"],
    // Builds the offline models when missing or stale (a no-op when `npm test` already did).
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
