import type { KeySource } from "../crypto/field-cipher.ts";
import { type ColumnRef, openJson, openText, sealJson, sealText } from "../crypto/sealed-columns.ts";
import type { topics } from "../db/schema/index.ts";

/**
 * A topic's description and keywords at rest (docs/design/encryption.md): sealed with the writer's key,
 * the plaintext columns empty. A discovered topic's keywords are the most distinctive words of its
 * entries. Names stay in the clear for now: the unique index and every name-ordered query read them.
 */
const topicRef = (row: { userId: string; id: string }): ColumnRef => ({
  userId: row.userId,
  table: "topics",
  rowId: row.id,
});

export async function sealTopicFields(
  keys: KeySource,
  row: { userId: string; id: string },
  fields: { description?: string | null | undefined; keywords?: string[] | null | undefined },
): Promise<
  Partial<Pick<typeof topics.$inferInsert, "description" | "descriptionCt" | "keywords" | "keywordsCt">>
> {
  const ref = topicRef(row);
  const { description, keywords } = fields;
  return {
    ...(description !== undefined
      ? {
          description: null,
          descriptionCt: description === null ? null : await sealText(keys, ref, "description", description),
        }
      : {}),
    ...(keywords !== undefined
      ? {
          keywords: null,
          keywordsCt: keywords === null ? null : await sealJson(keys, ref, "keywords", keywords),
        }
      : {}),
  };
}

/** Description and keywords from either stored form (sealed, or plaintext from before encryption). */
export async function openTopicFields(
  keys: KeySource,
  row: {
    userId: string;
    id: string;
    description: string | null;
    descriptionCt: string | null;
    keywords: string[] | null;
    keywordsCt: string | null;
  },
): Promise<{ description: string | null; keywords: string[] | null }> {
  const ref = topicRef(row);
  const [description, keywords] = await Promise.all([
    openText(keys, ref, "description", row.descriptionCt, row.description),
    openJson<string[], string[] | null>(keys, ref, "keywords", row.keywordsCt, row.keywords),
  ]);
  return { description, keywords };
}
