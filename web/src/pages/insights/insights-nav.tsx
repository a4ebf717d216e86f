const SECTIONS = [
  { path: "/insights", label: "Charts" },
  { path: "/insights/calendar", label: "Calendar" },
  { path: "/insights/topics", label: "Topics" },
  { path: "/insights/reflections", label: "Reflections" },
];

/** The insights pages, one link each, the current one marked for assistive technology. */
export function InsightsNav({ path }: { path: string }) {
  return (
    <nav aria-label="Insights" class="subnav">
      <ul>
        {SECTIONS.map((s) => (
          <li key={s.path}>
            <a href={s.path} aria-current={s.path === path ? "page" : undefined}>
              {s.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const PERIOD_LABELS: Record<number, string> = {
  7: "Last 7 days",
  30: "Last 30 days",
  90: "Last 90 days",
  365: "Last year",
};

/** The period an insights page covers, in days, chosen from the given choices. */
export function PeriodPicker({
  days,
  choices,
  onChange,
}: {
  days: number;
  choices: readonly number[];
  onChange: (days: number) => void;
}) {
  return (
    <label class="inline">
      Period
      <select value={String(days)} onChange={(e) => onChange(Number(e.currentTarget.value))}>
        {choices.map((n) => (
          <option key={n} value={String(n)}>
            {PERIOD_LABELS[n] ?? `Last ${n} days`}
          </option>
        ))}
      </select>
    </label>
  );
}
