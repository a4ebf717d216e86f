export * from "./auth.ts";
export * from "./crypto.ts";
export * from "./errors.ts";
export * from "./health.ts";
export * from "./nodes.ts";
export * from "./pagination.ts";
