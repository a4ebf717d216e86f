import type { Entry, Topic } from "@inkwell/shared";
import type { Database } from "../db/client.ts";
import { listEntries } from "./entries.ts";
import { listTopics } from "./topics.ts";

export type ExportFormat = "json" | "markdown";

export interface ExportOwner {
  id: string;
  email: string;
  displayName: string | null;
  timezone: string;
  role: string;
  weeklyReflection: boolean;
  createdAt: string;
}

/** Extra sections (reflections, chat sessions) contributed by other features, each streamed as a JSON array. */
export interface ExportSection {
  name: string;
  load(db: Database, userId: string): Promise<unknown[]>;
}

export const exportSections: ExportSection[] = [];

const PAGE = 200;
const encoder = new TextEncoder();

function localDate(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date(iso));
}

function markdownEntry(entry: Entry, timezone: string, topicNames: Map<string, string>): string {
  const lines = [`## ${localDate(entry.occurredAt, timezone)}${entry.title ? ` — ${entry.title}` : ""}`, ""];
  const facts: string[] = [];
  if (entry.mood !== null) facts.push(`mood ${entry.mood}/10`);
  if (entry.tags.length > 0) facts.push(`tags: ${entry.tags.join(", ")}`);
  const names = entry.topicIds.map((id) => topicNames.get(id)).filter((n): n is string => Boolean(n));
  if (names.length > 0) facts.push(`topics: ${names.join(", ")}`);
  if (entry.favorite) facts.push("★ favourite");
  if (facts.length > 0) lines.push(`*${facts.join(" · ")}*`, "");
  lines.push(entry.content, "");
  const a = entry.analysis;
  if (a.status === "done") {
    const parts: string[] = [];
    if (a.sentiment) parts.push(`sentiment ${a.sentiment.label} (${a.sentiment.score.toFixed(2)})`);
    if (a.emotions?.length)
      parts.push(
        `emotions ${a.emotions
          .slice(0, 3)
          .map((e) => e.label)
          .join(", ")}`,
      );
    if (a.keywords?.length) parts.push(`keywords ${a.keywords.join(", ")}`);
    if (parts.length > 0) lines.push(`> Analysis: ${parts.join("; ")}`, "");
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The whole journal as a stream: entries are read a page at a time while the response is being
 * written, so a 10,000-entry export never sits in memory at once.
 */
export function exportStream(
  db: Database,
  owner: ExportOwner,
  format: ExportFormat,
): ReadableStream<Uint8Array> {
  let phase: "head" | "entries" | "sections" | "done" = "head";
  let after: { at: string; id: string } | undefined;
  let first = true;
  let topics: Topic[] = [];
  let topicNames = new Map<string, string>();

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const push = (text: string) => controller.enqueue(encoder.encode(text));
      try {
        if (phase === "head") {
          topics = await listTopics(db, owner.id);
          topicNames = new Map(topics.map((t) => [t.id, t.name]));
          if (format === "json") {
            push(
              `{"format":"inkwell-export/v1","exportedAt":${JSON.stringify(new Date().toISOString())},` +
                `"user":${JSON.stringify(owner)},"topics":${JSON.stringify(topics)},"entries":[`,
            );
          } else {
            push(
              `# Journal of ${owner.displayName ?? owner.email}\n\nExported ${new Date().toISOString()} · ` +
                `times shown in ${owner.timezone}\n\n`,
            );
            if (topics.length > 0) push(`Topics: ${topics.map((t) => t.name).join(", ")}\n\n`);
          }
          phase = "entries";
          return;
        }
        if (phase === "entries") {
          const { items, last } = await listEntries(db, owner.id, { limit: PAGE, after });
          for (const entry of items) {
            if (format === "json") {
              push(`${first ? "" : ","}${JSON.stringify(entry)}`);
            } else {
              push(markdownEntry(entry, owner.timezone, topicNames));
            }
            first = false;
          }
          if (last) {
            after = last;
          } else {
            phase = "sections";
            if (format === "json") push("]");
          }
          return;
        }
        if (phase === "sections") {
          for (const section of exportSections) {
            const rows = await section.load(db, owner.id);
            if (format === "json") push(`,${JSON.stringify(section.name)}:${JSON.stringify(rows)}`);
            else if (rows.length > 0)
              push(`\n# ${section.name}\n\n\`\`\`json\n${JSON.stringify(rows, null, 2)}\n\`\`\`\n`);
          }
          if (format === "json") push("}\n");
          phase = "done";
          controller.close();
        }
      } catch (err) {
        console.error(
          JSON.stringify({
            level: "error",
            msg: "export failed",
            error: err instanceof Error ? err.name : "unknown",
          }),
        );
        controller.error(err);
      }
    },
  });
}
