import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["shared", "dev", "inference-node", "edge"],
  },
});
