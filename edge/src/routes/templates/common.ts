import { idOr404, idParam as idParamOf } from "../../lib/ids.ts";

export const idParam = idParamOf("Template id");

/** Ids are opaque: anything that is not one of ours (a built-in's id included) is simply not found. */
export function templateIdOr404(id: string): string {
  return idOr404(id, "No template with that id.");
}
