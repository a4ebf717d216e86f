import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "inference-node",
    include: ["test/**/*.test.ts"],
    // The node's tests load the real built models; this builds them when missing (a no-op when current).
    globalSetup: ["test/global-setup.ts"],
    // The server tests boot the real entry point through tsx, which takes a few seconds on a cold cache.
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
