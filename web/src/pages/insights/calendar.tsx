import type { MoodPoint } from "@inkwell/shared";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ok } from "../../api.ts";
import { ErrorNote, errorText } from "../../components.tsx";
import { InsightsNav } from "./insights-nav.tsx";

type Mode = "writing" | "mood";
const WEEKS = 53;
const WEEKDAYS = ["Mon", "", "Wed", "", "Fri", "", "Sun"];

/** Monday 00:00 (this device's clock) of the week `WEEKS - 1` weeks before this one. */
function firstMonday(now = new Date()): Date {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  start.setDate(start.getDate() - ((start.getDay() + 6) % 7) - (WEEKS - 1) * 7);
  return start;
}

/** ISO weekday index, Monday 0, of a local calendar date `YYYY-MM-DD`. */
function weekdayOf(localDate: string): number {
  return (new Date(`${localDate}T00:00:00Z`).getUTCDay() + 6) % 7;
}

function writingLevel(p: MoodPoint): number {
  return Math.min(p.entryCount, 4);
}

/** Mood 1–10 in five steps, 0 for a day without a rating. */
function moodLevel(p: MoodPoint): number {
  return p.avgMood === null ? 0 : Math.min(5, Math.max(1, Math.ceil(p.avgMood / 2)));
}

function describe(p: MoodPoint): string {
  const day = new Date(`${p.localDate}T12:00:00Z`).toLocaleDateString(undefined, {
    dateStyle: "medium",
    timeZone: "UTC",
  });
  const entries = p.entryCount === 1 ? "1 entry" : `${p.entryCount} entries`;
  return p.avgMood === null ? `${day}: ${entries}` : `${day}: ${entries}, mood ${p.avgMood.toFixed(1)}`;
}

/**
 * A year of days as a calendar heat map (`GET /v1/insights/mood?bucket=day`, days in the writer's own
 * time zone): how much was written each day, or the day's mean mood.
 */
export function CalendarPage() {
  const [days, setDays] = useState<MoodPoint[] | null>(null);
  const [mode, setMode] = useState<Mode>("writing");
  const [error, setError] = useState<string | null>(null);
  const scroller = useRef<HTMLElement>(null);

  useEffect(() => {
    ok(api.v1.insights.mood.$get({ query: { from: firstMonday().toISOString(), bucket: "day" } }))
      .then((m) => {
        setDays(m.items);
        setError(null);
      })
      .catch((err) => setError(errorText(err)));
  }, []);

  // On a narrow screen the latest weeks are the ones in view, also after the screen turns or resizes.
  useEffect(() => {
    const node = scroller.current;
    if (!node) return;
    const toLatest = () => {
      node.scrollLeft = node.scrollWidth;
    };
    toLatest();
    const resize = new ResizeObserver(toLatest);
    resize.observe(node);
    return () => resize.disconnect();
  }, [days]);

  const written = days?.filter((d) => d.entryCount > 0) ?? [];
  const rated = days?.filter((d) => d.avgMood !== null) ?? [];
  const offset = days?.[0] ? weekdayOf(days[0].localDate) : 0;
  const summary =
    mode === "writing"
      ? `You wrote on ${written.length} of the last ${days?.length ?? 0} days, ${written.reduce((n, d) => n + d.entryCount, 0)} entries in all.`
      : `A mood on ${rated.length} of the last ${days?.length ?? 0} days.`;

  return (
    <section class="insights">
      <h1>Calendar</h1>
      <InsightsNav path="/insights/calendar" />
      <fieldset class="row choice">
        <legend>Colour the days by</legend>
        <label class="check">
          <input type="radio" name="mode" checked={mode === "writing"} onChange={() => setMode("writing")} />
          Writing
        </label>
        <label class="check">
          <input type="radio" name="mode" checked={mode === "mood"} onChange={() => setMode("mood")} />
          Mood
        </label>
      </fieldset>
      <ErrorNote error={error} />
      {days === null ? (
        !error && <p aria-live="polite">Loading…</p>
      ) : (
        <>
          <p data-testid="calendar-summary">{summary}</p>
          {written.length === 0 && rated.length === 0 && (
            <p>Nothing written in the last year yet: each day you write colours its square.</p>
          )}
          <div class="heatmap-frame">
            <div class="heatmap-labels" aria-hidden="true">
              {WEEKDAYS.map((w, i) => (
                <span key={String(i)}>{w}</span>
              ))}
            </div>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus so a keyboard can scroll it on a narrow screen. */}
            <section class="heatmap-scroll" ref={scroller} tabIndex={0} aria-label="Calendar heat map">
              <div class="heatmap" data-mode={mode} role="img" aria-label={summary}>
                {Array.from({ length: offset }, (_, i) => (
                  <span key={`pad-${String(i)}`} class="pad" />
                ))}
                {days.map((d) => (
                  <span
                    key={d.localDate}
                    class="day"
                    data-date={d.localDate}
                    data-count={d.entryCount}
                    data-level={mode === "writing" ? writingLevel(d) : moodLevel(d)}
                    title={describe(d)}
                  />
                ))}
              </div>
            </section>
          </div>
          <p class="hint legend" data-mode={mode} aria-hidden="true">
            {mode === "writing" ? "Fewer entries" : "Low mood"}
            {[0, 1, 2, 3, 4].map((l) => (
              <span key={String(l)} class="day" data-level={mode === "writing" ? l : l + 1} />
            ))}
            {mode === "writing" ? "More" : "Good mood"}
          </p>
        </>
      )}
    </section>
  );
}
