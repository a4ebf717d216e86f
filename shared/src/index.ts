export * from "./errors.ts";
export * from "./health.ts";
export * from "./nodes.ts";
export * from "./crypto.ts";
