import { index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns.ts";
import { users } from "./users.ts";

/** A writer's own templates, listed by `GET /v1/prompts` after the built-in ones. */
export const writingTemplates = pgTable(
  "writing_templates",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    body: text("body").notNull().default(""),
    sections: jsonb("sections").$type<{ heading: string; prompt: string }[]>().notNull().default([]),
    tags: text("tags").array().notNull().default([]),
    description: text("description"),
    minutes: integer("minutes").notNull().default(10),
    ...timestamps,
  },
  (t) => [index("writing_templates_user_idx").on(t.userId, t.id)],
);
