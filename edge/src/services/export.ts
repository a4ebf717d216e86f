import type { Entry, Topic } from "@inkwell/shared";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { errorName, log } from "../lib/log.ts";
import { listEntries } from "./entries.ts";
import { sessionsExportSection } from "./export-sessions.ts";
import { versionsExportSection } from "./export-versions.ts";
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

/** The writer's preferences: what `PATCH /v1/me` sets, and any other stored setting. */
export interface ExportSettings {
  timezone: string;
  weeklyReflection: boolean;
  [name: string]: unknown;
}

/** A small section, loaded at once and written as one JSON array (Markdown: `markdown`, else a JSON block). */
export interface LoadedExportSection<T = unknown> {
  name: string;
  /** `keys` opens sealed journal text (docs/design/encryption.md). */
  load(db: Database, userId: string, keys: KeySource): Promise<T[]>;
  markdown?(items: T[], owner: ExportOwner): string;
}

/**
 * A section that can grow without bound (chat sessions and their messages): it writes its own JSON
 * value (the exporter writes the key) or Markdown, a chunk per page, while the response is being sent.
 */
export interface StreamedExportSection {
  name: string;
  stream(db: Database, owner: ExportOwner, format: ExportFormat, keys: KeySource): AsyncIterable<string>;
}

export type ExportSection = LoadedExportSection | StreamedExportSection;

/** Extra sections (reflections, …) contributed by other features; chat sessions are always there. */
export const exportSections: ExportSection[] = [];

const PAGE = 200;
const encoder = new TextEncoder();

export function localDate(iso: string, timezone: string): string {
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
  keys: KeySource,
  owner: ExportOwner,
  format: ExportFormat,
  settings: ExportSettings = { timezone: owner.timezone, weeklyReflection: owner.weeklyReflection },
): ReadableStream<Uint8Array> {
  let phase: "head" | "entries" | "sections" | "done" = "head";
  let after: { at: string; id: string } | undefined;
  let first = true;
  let topics: Topic[] = [];
  let topicNames = new Map<string, string>();
  const sections: ExportSection[] = [versionsExportSection, sessionsExportSection, ...exportSections];
  let sectionIndex = 0;
  let chunks: AsyncIterator<string> | undefined;

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let pushed = false;
      const push = (text: string) => {
        if (text.length === 0) return;
        controller.enqueue(encoder.encode(text));
        pushed = true;
      };
      try {
        // A pull that enqueues nothing is not called again: keep stepping until something is written.
        while (!pushed && phase !== "done") await step(push, controller);
      } catch (err) {
        log.error("export failed", { error: errorName(err) });
        controller.error(err);
      }
    },
    async cancel() {
      await chunks?.return?.();
    },
  });

  async function step(
    push: (text: string) => void,
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    if (phase === "head") {
      topics = await listTopics(db, keys, owner.id);
      topicNames = new Map(topics.map((t) => [t.id, t.name]));
      if (format === "json") {
        push(
          `{"format":"inkwell-export/v1","exportedAt":${JSON.stringify(new Date().toISOString())},` +
            `"user":${JSON.stringify(owner)},"settings":${JSON.stringify(settings)},` +
            `"topics":${JSON.stringify(topics)},"entries":[`,
        );
      } else {
        push(
          `# Journal of ${owner.displayName ?? owner.email}\n\nExported ${new Date().toISOString()} · ` +
            `times shown in ${owner.timezone}\n\n`,
        );
        push(`Settings: ${markdownSettings(settings)}\n\n`);
        if (topics.length > 0) push(`Topics: ${topics.map((t) => t.name).join(", ")}\n\n`);
      }
      phase = "entries";
      return;
    }
    if (phase === "entries") {
      const { items, last } = await listEntries(db, keys, owner.id, { limit: PAGE, after });
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
      const section = sections[sectionIndex];
      if (!section) {
        if (format === "json") push("}\n");
        phase = "done";
        controller.close();
        return;
      }
      if ("load" in section) {
        const rows = await section.load(db, owner.id, keys);
        if (format === "json") push(`,${JSON.stringify(section.name)}:${JSON.stringify(rows)}`);
        else if (rows.length > 0 && section.markdown) push(section.markdown(rows, owner));
        else if (rows.length > 0)
          push(`\n# ${section.name}\n\n\`\`\`json\n${JSON.stringify(rows, null, 2)}\n\`\`\`\n`);
        sectionIndex += 1;
        return;
      }
      if (!chunks) {
        chunks = section.stream(db, owner, format, keys)[Symbol.asyncIterator]();
        if (format === "json") push(`,${JSON.stringify(section.name)}:`);
      }
      const next = await chunks.next();
      if (next.done) {
        chunks = undefined;
        sectionIndex += 1;
      } else {
        push(next.value);
      }
    }
  }
}

function markdownSettings(settings: ExportSettings): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name} ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" · ");
}
