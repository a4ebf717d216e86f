import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Another y scale (e.g. sentiment -1..1 beside mood 1..10). */
  scale?: string;
  bars?: boolean;
}

interface ChartProps {
  title: string;
  /** x values: UNIX seconds for a time axis, else 0..n-1 with `categories` as their labels. */
  x: number[];
  categories?: string[];
  series: ChartSeries[];
  ranges?: Record<string, [number, number]>;
  height?: number;
}

/**
 * A uPlot chart drawn on a canvas, sized to its container. The canvas is hidden from assistive
 * technology; the same figures follow in a table the chart's caption opens.
 */
export function Chart({ title, x, categories, series, ranges = {}, height = 220 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const node = box.current;
    if (!node) return;
    const time = !categories;
    const scales: uPlot.Scales = {};
    for (const [key, range] of Object.entries(ranges)) scales[key] = { range };
    scales.x = { ...scales.x, time };
    const axes: uPlot.Axis[] = [
      categories ? { values: (_u, splits) => splits.map((v) => categories[v] ?? ""), gap: 4 } : {},
      { scale: series[0]?.scale ?? "y" },
    ];
    const extra = series.find((s, i) => i > 0 && s.scale && s.scale !== (series[0]?.scale ?? "y"));
    if (extra?.scale) axes.push({ scale: extra.scale, side: 1, grid: { show: false } });
    const opts: uPlot.Options = {
      width: Math.max(node.clientWidth, 240),
      height,
      scales,
      axes,
      legend: { show: series.length > 1 },
      cursor: { show: true, drag: { x: false, y: false } },
      series: [
        {},
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            fill: s.bars ? `${s.color}99` : undefined,
            scale: s.scale ?? "y",
            width: 2,
            spanGaps: true,
            points: { show: true, size: 6 },
            ...(s.bars ? { paths: uPlot.paths.bars?.({ size: [0.6, 48] }), points: { show: false } } : {}),
          }),
        ),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, node);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(node.clientWidth, 240), height }));
    resize.observe(node);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, x, categories, series, ranges, height]);

  const labels = categories ?? x.map((v) => new Date(v * 1000).toLocaleDateString());
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} aria-hidden="true" data-chart={title} />
      <details>
        <summary>The figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{categories ? "" : "Date"}</th>
              {series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((label, i) => (
              <tr key={label + String(i)}>
                <th scope="row">{label}</th>
                {series.map((s) => (
                  <td key={s.label}>
                    {s.values[i] === null || s.values[i] === undefined ? "–" : String(s.values[i])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
