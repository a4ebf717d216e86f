import { createRouter } from "../../lib/openapi.ts";
import { getPrompts } from "./list-prompts.ts";
import { getSuggestedPrompts } from "./suggested-prompts.ts";

/** Writing prompts: the built-in ones, and those suggested from the writer's own patterns. */
export const promptRoutes = createRouter().route("/", getPrompts).route("/", getSuggestedPrompts);
