import { z } from "zod";
import { tagsSchema } from "./entries.ts";
import { writingPromptSchema } from "./writing-prompts.ts";

/** Limits on a writer's own templates. */
export const TEMPLATE_LIMITS = {
  /** Templates per writer. */
  perWriter: 50,
  title: 120,
  body: 2000,
  sections: 20,
  heading: 120,
  prompt: 500,
  tags: 10,
  description: 200,
} as const;

const text = (max: number, what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .max(max, { error: `${what} is at most ${max} characters` });

const sectionSchema = z.strictObject({
  heading: text(TEMPLATE_LIMITS.heading, "heading").min(1, { error: "heading cannot be empty" }),
  prompt: text(TEMPLATE_LIMITS.prompt, "prompt").default(""),
});

const templateFields = {
  title: text(TEMPLATE_LIMITS.title, "title").min(1, { error: "title cannot be empty" }),
  body: text(TEMPLATE_LIMITS.body, "body"),
  sections: z
    .array(sectionSchema)
    .max(TEMPLATE_LIMITS.sections, { error: `at most ${TEMPLATE_LIMITS.sections} sections` }),
  tags: tagsSchema.pipe(
    z.array(z.string()).max(TEMPLATE_LIMITS.tags, { error: `at most ${TEMPLATE_LIMITS.tags} tags` }),
  ),
  /** One line on what the template is for; shown as the prompt list's `why`. */
  description: text(TEMPLATE_LIMITS.description, "description"),
  minutes: z
    .number({ error: "minutes must be a number" })
    .int({ error: "minutes must be a whole number" })
    .min(1, { error: "minutes must be at least 1" })
    .max(240, { error: "minutes must be at most 240" }),
};

/** `POST /v1/templates`. */
export const createTemplateRequestSchema = z.strictObject({
  title: templateFields.title,
  body: templateFields.body.default(""),
  sections: templateFields.sections.default([]),
  tags: templateFields.tags.default([]),
  description: templateFields.description.optional(),
  minutes: templateFields.minutes.optional(),
});
export type CreateTemplateRequest = z.infer<typeof createTemplateRequestSchema>;

/** `PATCH /v1/templates/{id}`: any of the fields; `description: null` clears it. */
export const updateTemplateRequestSchema = z
  .strictObject({
    title: templateFields.title.optional(),
    body: templateFields.body.optional(),
    sections: templateFields.sections.optional(),
    tags: templateFields.tags.optional(),
    description: templateFields.description.nullable().optional(),
    minutes: templateFields.minutes.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { error: "change at least one field" });
export type UpdateTemplateRequest = z.infer<typeof updateTemplateRequestSchema>;

/**
 * A prompt or template as `GET /v1/prompts` lists it: the built-ins (`builtIn: true`) and, after them,
 * the writer's own templates (`builtIn: false`).
 */
export const listedPromptSchema = writingPromptSchema.extend({ builtIn: z.boolean() });
export type ListedPrompt = z.infer<typeof listedPromptSchema>;

/** A writer's own template: what the prompt list shows of it, with its own fields and times. */
export const writingTemplateSchema = listedPromptSchema.extend({
  kind: z.literal("template"),
  builtIn: z.literal(false),
  description: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WritingTemplate = z.infer<typeof writingTemplateSchema>;
