import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["shared", "models", "dev", "inference-node", "edge"],
  },
});
