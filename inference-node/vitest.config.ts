import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "inference-node",
    include: ["test/**/*.test.ts"],
    // The server tests boot the real entry point through tsx, which takes a few seconds on a cold cache.
    testTimeout: 30_000,
  },
});
