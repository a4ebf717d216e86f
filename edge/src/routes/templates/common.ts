import { z } from "@hono/zod-openapi";
import { InkwellError } from "@inkwell/shared";

export const idParam = z.object({ id: z.string().max(64).openapi({ description: "Template id" }) });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque: anything that is not one of ours (a built-in's id included) is simply not found. */
export function templateIdOr404(id: string): string {
  if (!UUID.test(id)) throw new InkwellError("NOT_FOUND", "No template with that id.");
  return id;
}
