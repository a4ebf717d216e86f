import { createRouter } from "../../lib/openapi.ts";
import { postReflection } from "./create-reflection.ts";
import { getEmotionInsights } from "./get-emotions.ts";
import { getGrowthInsights } from "./get-growth.ts";
import { getMoodInsights } from "./get-mood.ts";
import { getReflection } from "./get-reflection.ts";
import { getTopicInsights } from "./get-topics.ts";
import { getWritingInsights } from "./get-writing.ts";
import { getReflections } from "./list-reflections.ts";

/** Insights and reflections; chained so the router's type carries every route for the typed client. */
export const insightsRoutes = createRouter()
  .route("/", getMoodInsights)
  .route("/", getEmotionInsights)
  .route("/", getWritingInsights)
  .route("/", getTopicInsights)
  .route("/", getGrowthInsights)
  .route("/", postReflection)
  .route("/", getReflections)
  .route("/", getReflection);
