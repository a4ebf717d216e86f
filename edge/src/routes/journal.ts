import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../hono-env.ts";
import { postEntry } from "./entries/create-entry.ts";
import { removeEntry } from "./entries/delete-entry.ts";
import { favorite } from "./entries/favorite.ts";
import { getEntry } from "./entries/get-entry.ts";
import { getEntries } from "./entries/list-entries.ts";
import { patchEntry } from "./entries/update-entry.ts";
import { getJob } from "./jobs/get-job.ts";
import { search } from "./search/search.ts";
import { postTopic } from "./topics/create-topic.ts";
import { removeTopic } from "./topics/delete-topic.ts";
import { getTopics } from "./topics/list-topics.ts";
import { getTopicEntries } from "./topics/topic-entries.ts";
import { patchTopic } from "./topics/update-topic.ts";

/** Entries, topics, jobs and search: every route here is scoped to the signed-in user. */
export function mountJournal(app: OpenAPIHono<AppEnv>): void {
  for (const router of [
    postEntry,
    getEntries,
    getEntry,
    patchEntry,
    removeEntry,
    favorite,
    getTopics,
    postTopic,
    patchTopic,
    removeTopic,
    getTopicEntries,
    getJob,
    search,
  ]) {
    app.route("/", router);
  }
}
