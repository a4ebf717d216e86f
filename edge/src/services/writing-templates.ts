import {
  type CreateTemplateRequest,
  InkwellError,
  TEMPLATE_LIMITS,
  type UpdateTemplateRequest,
  uuidv7,
  type WritingTemplate,
} from "@inkwell/shared";
import { and, asc, count, eq, gt } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { writingTemplates } from "../db/schema/index.ts";
import { exportSections, type LoadedExportSection } from "./export.ts";
import { lockWriter } from "./writer-locks.ts";

type TemplateRow = typeof writingTemplates.$inferSelect;

const DEFAULT_MINUTES = 10;
/** The prompt list's `why` for a template its writer gave no description. */
const OWN_TEMPLATE_WHY = "A template of your own.";

const noSuchTemplate = () => new InkwellError("NOT_FOUND", "No template with that id.");

export function toWritingTemplate(row: TemplateRow): WritingTemplate {
  return {
    id: row.id,
    kind: "template",
    builtIn: false,
    title: row.title,
    body: row.body,
    sections: row.sections,
    why: row.description ?? OWN_TEMPLATE_WHY,
    description: row.description,
    minutes: row.minutes,
    tags: row.tags,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function createTemplate(
  db: Database,
  userId: string,
  input: CreateTemplateRequest,
): Promise<WritingTemplate> {
  return await db.transaction(async (tx) => {
    // The writer's row, held against other creates of theirs, so two at once cannot both pass the count.
    if (!(await lockWriter(tx, userId, "no key update")))
      throw new InkwellError("NOT_FOUND", "No such account.");
    const [held] = await tx
      .select({ n: count() })
      .from(writingTemplates)
      .where(eq(writingTemplates.userId, userId));
    if ((held?.n ?? 0) >= TEMPLATE_LIMITS.perWriter) {
      throw new InkwellError(
        "CONFLICT",
        `A writer keeps at most ${TEMPLATE_LIMITS.perWriter} templates; delete one to make another.`,
      );
    }
    const [row] = await tx
      .insert(writingTemplates)
      .values({
        id: uuidv7(),
        userId,
        title: input.title,
        body: input.body,
        sections: input.sections,
        tags: input.tags,
        description: input.description || null,
        minutes: input.minutes ?? DEFAULT_MINUTES,
      })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return toWritingTemplate(row);
  });
}

/** The writer's templates in the order they were made (ids are time-ordered), after `afterId`. */
export async function listTemplates(
  db: Database,
  userId: string,
  options: { afterId?: string; limit: number },
): Promise<WritingTemplate[]> {
  const rows = await db
    .select()
    .from(writingTemplates)
    .where(
      and(
        eq(writingTemplates.userId, userId),
        options.afterId ? gt(writingTemplates.id, options.afterId) : undefined,
      ),
    )
    .orderBy(asc(writingTemplates.id))
    .limit(options.limit);
  return rows.map(toWritingTemplate);
}

export async function getTemplate(db: Database, userId: string, id: string): Promise<WritingTemplate> {
  const [row] = await db
    .select()
    .from(writingTemplates)
    .where(and(eq(writingTemplates.id, id), eq(writingTemplates.userId, userId)))
    .limit(1);
  if (!row) throw noSuchTemplate();
  return toWritingTemplate(row);
}

export async function updateTemplate(
  db: Database,
  userId: string,
  id: string,
  patch: UpdateTemplateRequest,
): Promise<WritingTemplate> {
  const changes: Partial<TemplateRow> = { updatedAt: new Date() };
  if (patch.title !== undefined) changes.title = patch.title;
  if (patch.body !== undefined) changes.body = patch.body;
  if (patch.sections !== undefined) changes.sections = patch.sections;
  if (patch.tags !== undefined) changes.tags = patch.tags;
  if (patch.description !== undefined) changes.description = patch.description || null;
  if (patch.minutes !== undefined) changes.minutes = patch.minutes;
  const [row] = await db
    .update(writingTemplates)
    .set(changes)
    .where(and(eq(writingTemplates.id, id), eq(writingTemplates.userId, userId)))
    .returning();
  if (!row) throw noSuchTemplate();
  return toWritingTemplate(row);
}

export async function deleteTemplate(db: Database, userId: string, id: string): Promise<void> {
  const deleted = await db
    .delete(writingTemplates)
    .where(and(eq(writingTemplates.id, id), eq(writingTemplates.userId, userId)))
    .returning({ id: writingTemplates.id });
  if (deleted.length === 0) throw noSuchTemplate();
}

function markdownTemplates(items: WritingTemplate[]): string {
  const parts = ["\n# Templates\n"];
  for (const t of items) {
    parts.push(`## ${t.title}\n`);
    if (t.body) parts.push(`${t.body}\n`);
    for (const section of t.sections) {
      parts.push(`### ${section.heading}\n`);
      if (section.prompt) parts.push(`${section.prompt}\n`);
    }
    if (t.tags.length > 0) parts.push(`*tags: ${t.tags.join(", ")}*\n`);
  }
  return `${parts.join("\n")}\n`;
}

// The account export (GET /v1/me/export) carries the writer's templates: at most 50, loaded at once.
const templatesExport: LoadedExportSection<WritingTemplate> = {
  name: "templates",
  async load(db, userId) {
    const rows = await db
      .select()
      .from(writingTemplates)
      .where(eq(writingTemplates.userId, userId))
      .orderBy(asc(writingTemplates.id));
    return rows.map(toWritingTemplate);
  },
  markdown: markdownTemplates,
};
exportSections.push(templatesExport);
