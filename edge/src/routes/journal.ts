import { createRouter } from "../lib/openapi.ts";
import { postEntry } from "./entries/create-entry.ts";
import { removeEntry } from "./entries/delete-entry.ts";
import { favorite } from "./entries/favorite.ts";
import { getEntry } from "./entries/get-entry.ts";
import { getEntryVersion } from "./entries/get-version.ts";
import { getEntries } from "./entries/list-entries.ts";
import { getEntryVersions } from "./entries/list-versions.ts";
import { postEntryReanalysis } from "./entries/reanalyze-entry.ts";
import { getRelated } from "./entries/related-entries.ts";
import { postEntryVersionRestore } from "./entries/restore-version.ts";
import { postDraftTagSuggestions } from "./entries/suggest-draft-tags.ts";
import { getSuggestedTags } from "./entries/suggested-tags.ts";
import { patchEntry } from "./entries/update-entry.ts";
import { getJob } from "./jobs/get-job.ts";
import { search } from "./search/search.ts";
import { postTopic } from "./topics/create-topic.ts";
import { removeTopic } from "./topics/delete-topic.ts";
import { postTopicDiscovery } from "./topics/discover-topics.ts";
import { getTopicById } from "./topics/get-topic.ts";
import { getTopics } from "./topics/list-topics.ts";
import { getTopicEntries } from "./topics/topic-entries.ts";
import { patchTopic } from "./topics/update-topic.ts";

/**
 * Entries, topics, jobs and search: every route here is scoped to the signed-in user. Chained, so the
 * router's type carries every route for the typed client (`edge/src/client.ts`).
 */
export const journalRoutes = createRouter()
  .route("/", postEntry)
  .route("/", getEntries)
  .route("/", getEntry)
  .route("/", patchEntry)
  .route("/", removeEntry)
  .route("/", favorite)
  .route("/", getRelated)
  .route("/", getEntryVersions)
  .route("/", getEntryVersion)
  .route("/", postEntryVersionRestore)
  .route("/", postEntryReanalysis)
  .route("/", getSuggestedTags)
  .route("/", postDraftTagSuggestions)
  .route("/", getTopics)
  .route("/", postTopic)
  .route("/", postTopicDiscovery)
  .route("/", getTopicById)
  .route("/", patchTopic)
  .route("/", removeTopic)
  .route("/", getTopicEntries)
  .route("/", getJob)
  .route("/", search);
