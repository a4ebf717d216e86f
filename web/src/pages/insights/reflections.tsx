import type { Reflection } from "@inkwell/shared";
import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../../api.ts";
import { ErrorNote, errorText, withCitations } from "../../components.tsx";
import { formatDay } from "../../format.ts";
import { InsightsNav } from "./insights-nav.tsx";

const POLL_MS = 1500;

function ReflectionCard({ reflection }: { reflection: Reflection }) {
  const { stats, themes } = reflection;
  const last = new Date(Date.parse(reflection.periodEnd) - 1).toISOString();
  const heading = `${reflection.period === "week" ? "Week" : "Month"} of ${formatDay(reflection.periodStart)} to ${formatDay(last)}`;
  return (
    <article class="card reflection" data-status={reflection.status} aria-labelledby={`r-${reflection.id}`}>
      <h2 id={`r-${reflection.id}`}>{heading}</h2>
      {reflection.status === "pending" ? (
        <p aria-live="polite">Writing this reflection… it appears here when it is ready.</p>
      ) : reflection.status === "failed" ? (
        <p>This reflection could not be written. Ask again to try once more.</p>
      ) : (
        <>
          {reflection.text && <p class="reflection-text">{withCitations(reflection.text)}</p>}
          {stats && (
            <p class="meta">
              {stats.entryCount} {stats.entryCount === 1 ? "entry" : "entries"}, {stats.totalWords} words, on{" "}
              {stats.daysWritten} of {stats.days} days
              {stats.avgMood !== null && <> · mean mood {stats.avgMood.toFixed(1)}</>}
            </p>
          )}
          {themes &&
            (themes.keywords.length > 0 || themes.emotions.length > 0 || themes.topics.length > 0) && (
              <p>
                {themes.topics.length > 0 && <>Topics: {themes.topics.map((t) => t.name).join(", ")}. </>}
                {themes.emotions.length > 0 && (
                  <>Feelings: {themes.emotions.map((t) => t.label).join(", ")}. </>
                )}
                {themes.keywords.length > 0 && <>Words: {themes.keywords.map((t) => t.label).join(", ")}.</>}
              </p>
            )}
          {reflection.citations.length > 0 && (
            <>
              <h3>Entries it draws on</h3>
              <ul>
                {reflection.citations.map((c) => (
                  <li key={c.entryId}>
                    <a href={`/entries/${c.entryId}`}>
                      {c.occurredAt ? `Entry of ${formatDay(c.occurredAt)}` : "An entry"}
                    </a>
                    {c.reasons?.length ? ` (${c.reasons.join(", ").replaceAll("-", " ")})` : ""}
                  </li>
                ))}
              </ul>
            </>
          )}
          <p class="hint">
            {reflection.generated
              ? `Written by ${reflection.model ?? "a language model"} from your entries.`
              : "Put together from your entries' figures; no language model wrote it."}
          </p>
        </>
      )}
    </article>
  );
}

/** Reflections on a week or a month (`/v1/insights/reflections`): read them, or ask for one now. */
export function ReflectionsPage() {
  const [items, setItems] = useState<Reflection[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    ok(api.v1.insights.reflections.$get({ query: { limit: "10" } }))
      .then((page) => {
        setItems(page.items);
        setCursor(page.nextCursor);
      })
      .catch((err) => setError(errorText(err)));
  }, []);

  // A pending reflection is followed until it is written.
  const pending = items?.filter((r) => r.status === "pending").map((r) => r.id) ?? [];
  const pendingKey = pending.join(",");
  useEffect(() => {
    if (!pendingKey) return;
    const timer = setTimeout(() => {
      Promise.all(
        pendingKey.split(",").map((id) => ok(api.v1.insights.reflections[":id"].$get({ param: { id } }))),
      )
        .then((fresh) => setItems((prev) => prev?.map((r) => fresh.find((f) => f.id === r.id) ?? r) ?? prev))
        .catch((err) => setError(errorText(err)));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [items]);

  async function ask(period: "week" | "month") {
    setAsking(true);
    setError(null);
    try {
      // Asking twice for the same period joins the reflection in flight: no second one is made.
      const accepted = await ok(api.v1.insights.reflections.$post({ json: { period } }));
      const reflection = await ok(
        api.v1.insights.reflections[":id"].$get({ param: { id: accepted.reflectionId } }),
      );
      setItems((prev) => [reflection, ...(prev ?? []).filter((r) => r.id !== reflection.id)]);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setAsking(false);
    }
  }

  async function more() {
    if (!cursor) return;
    try {
      const page = await ok(api.v1.insights.reflections.$get({ query: { limit: "10", cursor } }));
      setItems((prev) => [...(prev ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section class="insights">
      <h1>Reflections</h1>
      <InsightsNav path="/insights/reflections" />
      <p>A look back over a week or a month of your entries: what stood out, and the entries behind it.</p>
      <div class="row">
        <button type="button" disabled={asking} onClick={() => void ask("week")}>
          Reflect on this week
        </button>
        <button type="button" class="quiet" disabled={asking} onClick={() => void ask("month")}>
          Reflect on this month
        </button>
      </div>
      <ErrorNote error={error} />
      {items === null ? (
        !error && <p aria-live="polite">Loading…</p>
      ) : items.length === 0 ? (
        <p>No reflections yet. Ask for one above.</p>
      ) : (
        items.map((r) => <ReflectionCard key={r.id} reflection={r} />)
      )}
      {cursor && (
        <button type="button" class="quiet" onClick={() => void more()}>
          Older reflections
        </button>
      )}
    </section>
  );
}
