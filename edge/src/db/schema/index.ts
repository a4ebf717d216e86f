export * from "./api-keys.ts";
export * from "./entries.ts";
export * from "./entry-analyses.ts";
export * from "./jobs.ts";
export * from "./nodes.ts";
export * from "./refresh-tokens.ts";
export * from "./users.ts";
