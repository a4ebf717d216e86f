import { createRouter } from "../../lib/openapi.ts";
import { postTemplate } from "./create-template.ts";
import { removeTemplate } from "./delete-template.ts";
import { getTemplateById } from "./get-template.ts";
import { getTemplates } from "./list-templates.ts";
import { patchTemplate } from "./update-template.ts";

/** A writer's own templates; `GET /v1/prompts` lists them beside the built-in ones. */
export const templateRoutes = createRouter()
  .route("/", postTemplate)
  .route("/", getTemplates)
  .route("/", getTemplateById)
  .route("/", patchTemplate)
  .route("/", removeTemplate);
