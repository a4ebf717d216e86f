import type { SafetyResource } from "@inkwell/shared";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ok } from "./api.ts";
import { type SearchHit, snippetParts } from "./format.ts";

export function Snippet({ text }: { text: string }) {
  return (
    <span class="snippet">
      {snippetParts(text).map((part, i) => (part.marked ? <mark key={i}>{part.text}</mark> : part.text))}
    </span>
  );
}

export function HitList({ hits, label }: { hits: SearchHit[]; label: string }) {
  return (
    <ol class="hits" aria-label={label}>
      {hits.map((hit) => (
        <li key={hit.entry.id}>
          <a href={`/entries/${hit.entry.id}`}>{hit.entry.title ?? "Untitled entry"}</a>
          <p>
            <Snippet text={hit.entry.snippet} />
          </p>
        </li>
      ))}
    </ol>
  );
}

const FALLBACK: SafetyResource[] = [
  {
    name: "Emergency services",
    region: "Everywhere",
    contact: "If you are in immediate danger, call your local emergency number (911, 999, 112).",
  },
];

/**
 * Shown whenever an analysis or a reply reads at high or critical risk, above everything else. The
 * resources come from the API (the check-in it suggests after such an entry), the emergency line always.
 */
export function CrisisPanel({ resources }: { resources?: SafetyResource[] | undefined }) {
  const [fetched, setFetched] = useState<SafetyResource[] | null>(null);
  useEffect(() => {
    if (resources?.length) return;
    ok(api.v1.prompts.suggested.$get({ query: { limit: "5" } }))
      .then((page) => setFetched(page.items.find((p) => p.resources?.length)?.resources ?? null))
      .catch(() => setFetched(null));
  }, [resources]);
  const list = resources?.length ? resources : (fetched ?? FALLBACK);
  return (
    <div class="crisis" role="alert" aria-labelledby="crisis-title">
      <h2 id="crisis-title">You do not have to go through this alone</h2>
      <p>What you wrote sounds heavy. Talking to someone can help right now:</p>
      <ul>
        {list.map((r) => (
          <li key={r.name + r.region}>
            <strong>{r.name}</strong> ({r.region}): {r.contact}
            {r.url && (
              <>
                {" "}
                <a href={r.url} rel="noreferrer" target="_blank">
                  {r.url}
                </a>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ErrorNote({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : "Something went wrong.";
}

/** Citations: `[entry:ID]` becomes a link to the entry, `[kb:ID]` names the knowledge passage. */
export function withCitations(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(/\[(entry|kb):([A-Za-z0-9_.:-]{1,80})\]/g)) {
    const index = match.index ?? 0;
    out.push(text.slice(last, index));
    const [, kind, id = ""] = match;
    out.push(
      kind === "entry" ? (
        <a key={index} href={`/entries/${id}`}>
          [entry]
        </a>
      ) : (
        <cite key={index} class="source" title={`Knowledge passage ${id}`}>
          [source: {id.replaceAll("-", " ")}]
        </cite>
      ),
    );
    last = index + match[0].length;
  }
  out.push(text.slice(last));
  return out;
}
