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
