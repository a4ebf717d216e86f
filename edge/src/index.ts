import { createApp } from "./app.ts";
import type { Env } from "./env.ts";
import { runScheduled } from "./scheduled.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: runScheduled,
} satisfies ExportedHandler<Env>;
