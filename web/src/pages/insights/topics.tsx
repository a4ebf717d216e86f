import type { TopicInsights } from "@inkwell/shared";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ok } from "../../api.ts";
import { Chart, type ChartSeries } from "../../chart.tsx";
import { ErrorNote, errorText } from "../../components.tsx";
import { InsightsNav, PeriodPicker } from "./insights-nav.tsx";

const PALETTE = ["#3b5bdb", "#c2255c", "#2b8a3e", "#e8590c", "#7048e8", "#0c8599"];

/** Which subjects you write about, and how that changes week by week (`GET /v1/insights/topics`). */
export function TopicsPage() {
  const [topics, setTopics] = useState<TopicInsights | null>(null);
  const [days, setDays] = useState(90);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setTopics(null);
    const from = new Date(Date.now() - days * 86_400_000).toISOString();
    ok(api.v1.insights.topics.$get({ query: { from, bucket: "week", limit: String(PALETTE.length) } }))
      .then((t) => {
        setTopics(t);
        setError(null);
      })
      .catch((err) => setError(errorText(err)));
  }, [days]);

  const chart = useMemo(() => {
    if (!topics || topics.items.length === 0) return null;
    const series: ChartSeries[] = topics.items.map((t, i) => ({
      label: t.name,
      values: t.counts,
      color: t.color ?? PALETTE[i % PALETTE.length] ?? "#3b5bdb",
    }));
    return { x: topics.buckets.map((b) => Date.parse(b.bucketStart) / 1000), series };
  }, [topics]);

  return (
    <section class="insights">
      <h1>Topic trends</h1>
      <InsightsNav path="/insights/topics" />
      <PeriodPicker days={days} choices={[30, 90, 365]} onChange={setDays} />
      <ErrorNote error={error} />
      {topics === null ? (
        !error && <p aria-live="polite">Loading…</p>
      ) : topics.items.length === 0 || !chart ? (
        <p data-testid="topics-empty">
          No topics in this period yet. Topics appear as your entries are analysed and as you give them your
          own.
        </p>
      ) : (
        <>
          <ul class="figures" aria-label="Topics">
            {topics.items.map((t) => (
              <li key={t.id} data-topic={t.name}>
                <strong>{t.total}</strong> {t.name}
                {t.kind === "discovered" && <span class="hint"> (found in your entries)</span>}
              </li>
            ))}
          </ul>
          <Chart
            title="Entries per topic and week"
            x={chart.x}
            series={chart.series}
            ranges={{ y: [0, Math.max(1, ...topics.items.flatMap((t) => t.counts))] }}
          />
        </>
      )}
    </section>
  );
}
