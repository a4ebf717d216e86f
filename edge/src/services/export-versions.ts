import type { EntryVersion } from "@inkwell/shared";
import { and, asc, eq, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { entries, entryVersions } from "../db/schema/index.ts";
import { toVersion, versionColumns } from "./entry-versions.ts";
import type { ExportFormat, ExportOwner, StreamedExportSection } from "./export.ts";
import { localDate } from "./export.ts";

const PAGE = 200;

interface Position {
  entryId: string;
  version: number;
}

/**
 * One page of the earlier texts of the writer's live entries (the current text is the entry itself),
 * by entry and version; keyset on (entry_id, version), so nothing is skipped or repeated.
 */
async function versionPage(
  db: Database,
  userId: string,
  after: Position | undefined,
): Promise<{ items: EntryVersion[]; last: Position | undefined }> {
  const rows = await db
    .select(versionColumns)
    .from(entryVersions)
    .innerJoin(entries, eq(entries.id, entryVersions.entryId))
    .where(
      and(
        eq(entryVersions.userId, userId),
        eq(entries.userId, userId),
        isNull(entries.deletedAt),
        lt(entryVersions.version, entries.contentVersion),
        after
          ? sql`(${entryVersions.entryId}, ${entryVersions.version}) > (${after.entryId}::uuid, ${after.version})`
          : undefined,
      ),
    )
    .orderBy(asc(entryVersions.entryId), asc(entryVersions.version))
    .limit(PAGE);
  const last = rows.at(-1);
  return {
    // Earlier versions only: none is the current one.
    items: rows.map((row) => toVersion(row, null)),
    last: rows.length === PAGE && last ? { entryId: last.entryId, version: last.version } : undefined,
  };
}

function markdownVersion(version: EntryVersion, timezone: string): string {
  const facts = [
    `entry ${version.entryId}`,
    `version ${version.version}`,
    localDate(version.createdAt, timezone),
  ];
  if (version.restoredFrom !== null) facts.push(`restored from version ${version.restoredFrom}`);
  return `### ${version.title ?? "Untitled"}\n\n*${facts.join(" · ")}*\n\n${version.content}\n\n`;
}

/**
 * Earlier versions of the entries, read a page at a time while the response is being sent. JSON: an
 * array of versions as `GET /v1/entries/{id}/versions` shows them; Markdown: one section after the entries.
 */
async function* versionChunks(
  db: Database,
  owner: ExportOwner,
  format: ExportFormat,
): AsyncGenerator<string> {
  let after: Position | undefined;
  let first = true;
  if (format === "json") yield "[";
  do {
    const page = await versionPage(db, owner.id, after);
    if (page.items.length > 0) {
      yield format === "json"
        ? `${first ? "" : ","}${page.items.map((v) => JSON.stringify(v)).join(",")}`
        : `${first ? "\n# Earlier versions of entries\n\n" : ""}${page.items.map((v) => markdownVersion(v, owner.timezone)).join("")}`;
      first = false;
    }
    after = page.last;
  } while (after);
  if (format === "json") yield "]";
}

export const versionsExportSection: StreamedExportSection = {
  name: "versions",
  stream: versionChunks,
};
