import { createRouter } from "../../lib/openapi.ts";
import { postReflection } from "./create-reflection.ts";
import { getEmotionInsights } from "./get-emotions.ts";
import { getGrowthInsights } from "./get-growth.ts";
import { getMoodInsights } from "./get-mood.ts";
import { getMoodByTime } from "./get-mood-by-time.ts";
import { getMoodStability } from "./get-mood-stability.ts";
import { getMoodTopics } from "./get-mood-topics.ts";
import { getReflection } from "./get-reflection.ts";
import { getStreaks } from "./get-streaks.ts";
import { getTopicInsights } from "./get-topics.ts";
import { getWordCounts } from "./get-word-counts.ts";
import { getWritingInsights } from "./get-writing.ts";
import { getReflections } from "./list-reflections.ts";

/** Insights and reflections; chained so the router's type carries every route for the typed client. */
export const insightsRoutes = createRouter()
  .route("/", getMoodInsights)
  .route("/", getEmotionInsights)
  .route("/", getWritingInsights)
  .route("/", getTopicInsights)
  .route("/", getGrowthInsights)
  .route("/", getMoodByTime)
  .route("/", getMoodTopics)
  .route("/", getMoodStability)
  .route("/", getWordCounts)
  .route("/", getStreaks)
  .route("/", postReflection)
  .route("/", getReflections)
  .route("/", getReflection);
