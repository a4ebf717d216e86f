import type { EmotionInsights, MoodInsights, WritingInsights } from "@inkwell/shared";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ok } from "../../api.ts";
import { Chart, type ChartSeries } from "../../chart.tsx";
import { ErrorNote, errorText } from "../../components.tsx";
import { InsightsNav, PeriodPicker } from "./insights-nav.tsx";

const round = (v: number | null, digits = 2) => (v === null ? null : Number(v.toFixed(digits)));

export function InsightsPage() {
  const [mood, setMood] = useState<MoodInsights | null>(null);
  const [emotions, setEmotions] = useState<EmotionInsights | null>(null);
  const [writing, setWriting] = useState<WritingInsights | null>(null);
  const [days, setDays] = useState(30);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const from = new Date(Date.now() - days * 86_400_000).toISOString();
    Promise.all([
      ok(api.v1.insights.mood.$get({ query: { from, bucket: days > 90 ? "week" : "day" } })),
      ok(api.v1.insights.emotions.$get({ query: { from } })),
      ok(api.v1.insights.writing.$get()),
    ])
      .then(([m, e, w]) => {
        setMood(m);
        setEmotions(e);
        setWriting(w);
        setError(null);
      })
      .catch((err) => setError(errorText(err)));
  }, [days]);

  const moodChart = useMemo(() => {
    if (!mood) return null;
    const points = mood.items.filter((p) => p.entryCount > 0);
    const series: ChartSeries[] = [
      {
        label: "Your mood (1–10)",
        values: points.map((p) => round(p.avgMood, 1)),
        color: "#3b5bdb",
        scale: "mood",
      },
      {
        label: "Tone of your words (−1 to 1)",
        values: points.map((p) => round(p.avgSentiment)),
        color: "#c2255c",
        scale: "tone",
      },
    ];
    // The whole period on the time axis, however few days have entries.
    const period: [number, number] = [Date.parse(mood.from) / 1000, Date.parse(mood.to) / 1000];
    return { x: points.map((p) => Date.parse(p.bucketStart) / 1000), series, period };
  }, [mood]);

  const emotionChart = useMemo(() => {
    if (!emotions) return null;
    const items = emotions.items.slice(0, 8);
    return {
      categories: items.map((i) => i.label),
      series: [
        {
          label: "Share of entries",
          values: items.map((i) => Math.round(i.share * 100)),
          color: "#2b8a3e",
          bars: true,
        },
      ] as ChartSeries[],
    };
  }, [emotions]);

  const weekdayChart = useMemo(() => {
    if (!writing) return null;
    return {
      categories: writing.byWeekday.map((d) => d.name.slice(0, 3)),
      series: [
        { label: "Entries", values: writing.byWeekday.map((d) => d.count), color: "#e8590c", bars: true },
      ] as ChartSeries[],
    };
  }, [writing]);

  return (
    <section class="insights">
      <h1>Insights</h1>
      <InsightsNav path="/insights" />
      <PeriodPicker days={days} choices={[7, 30, 90, 365]} onChange={setDays} />
      <ErrorNote error={error} />
      {writing && (
        <ul class="figures" aria-label="Writing">
          <li>
            <strong>{writing.totalEntries}</strong> entries
          </li>
          <li>
            <strong>{writing.totalWords}</strong> words
          </li>
          <li>
            <strong>{writing.currentStreakDays}</strong> day streak
          </li>
          <li>
            <strong>{writing.longestStreakDays}</strong> longest streak
          </li>
        </ul>
      )}
      {moodChart &&
        (moodChart.x.length === 0 ? (
          <p>No entries in this period yet.</p>
        ) : (
          <Chart
            title="Mood over time"
            x={moodChart.x}
            series={moodChart.series}
            ranges={{ x: moodChart.period, mood: [1, 10], tone: [-1, 1] }}
          />
        ))}
      {emotionChart && emotionChart.categories.length > 0 && (
        <Chart
          title="Emotions (share of analysed entries, %)"
          x={emotionChart.categories.map((_, i) => i)}
          categories={emotionChart.categories}
          series={emotionChart.series}
          ranges={{ y: [0, 100] }}
        />
      )}
      {weekdayChart && (
        <Chart
          title="When you write (entries per weekday)"
          x={weekdayChart.categories.map((_, i) => i)}
          categories={weekdayChart.categories}
          series={weekdayChart.series}
        />
      )}
    </section>
  );
}
