import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line or bar series of a chart. */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Bars for counts, lines for rates and latencies. */
  kind: 'bars' | 'line';
  /** Second y axis (right) for a series in another unit. */
  right?: boolean;
  format?: (v: number) => string;
}

export interface ChartProps {
  id: string;
  title: string;
  /** x labels, one per data point. */
  labels: string[];
  series: ChartSeries[];
  height?: number;
  /** Show the data as a table under the chart (for screen readers and exact values). */
  table?: boolean;
}

const AXIS_STROKE = '#374151';
const GRID = '#e5e7eb';
const FONT = '12px system-ui, sans-serif';

function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

function options(props: ChartProps, width: number): uPlot.Options {
  const { labels, series } = props;
  const hasRight = series.some((s) => s.right);
  const barCount = series.filter((s) => s.kind === 'bars').length || 1;
  const bars = uPlot.paths.bars?.({ size: [0.7 / barCount, 48], gap: 1 });
  return {
    width,
    height: props.height ?? 220,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      // Buckets sit at 0…n-1: half a bucket of room each side keeps the end bars whole.
      x: { time: false, range: () => [-0.5, Math.max(0, labels.length - 1) + 0.5] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      ...(hasRight ? { r: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } } : {}),
    },
    axes: [
      {
        stroke: AXIS_STROKE,
        font: FONT,
        grid: { show: false },
        values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
        // whole buckets only: a tick between two buckets has no label
        incrs: [1, 2, 3, 4, 6, 12, 24, 48, 96],
        space: 48,
      },
      {
        stroke: AXIS_STROKE,
        font: FONT,
        grid: { stroke: GRID, width: 1 },
        values: (_u, splits) => splits.map(shortNumber),
        size: 52,
      },
      ...(hasRight
        ? [
            {
              scale: 'r',
              side: 1 as const,
              stroke: AXIS_STROKE,
              font: FONT,
              grid: { show: false },
              values: (_u: uPlot, splits: number[]) =>
                splits.map((v) => series.find((s) => s.right)?.format?.(v) ?? shortNumber(v)),
              size: 60,
            },
          ]
        : []),
    ],
    series: [
      { label: 'x', value: (_u, i) => (i === null ? '' : (labels[i] ?? '')) },
      ...series.map((s): uPlot.Series => ({
        label: s.label,
        scale: s.right ? 'r' : 'y',
        stroke: s.color,
        width: s.kind === 'line' ? 2 : 1,
        fill: s.kind === 'bars' ? `${s.color}cc` : undefined,
        paths: s.kind === 'bars' ? bars : undefined,
        points: { show: s.kind === 'line' && labels.length < 40 },
        spanGaps: false,
        value: (_u, v) => (v === null || v === undefined ? '–' : (s.format?.(v) ?? String(v))),
      })),
    ],
  };
}

function data(props: ChartProps): uPlot.AlignedData {
  return [props.labels.map((_, i) => i), ...props.series.map((s) => s.values)];
}

/**
 * A uPlot chart that follows its container's width. The canvas is hidden from assistive
 * technology; the figure caption names it and an optional table carries the numbers.
 */
export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Rebuild when the series set changes; plain data updates go through setData.
  const shape = `${props.series.map((s) => `${s.label}:${s.kind}:${s.right ? 1 : 0}`).join('|')}#${props.labels.join(',')}`;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const u = new uPlot(options(props, el.clientWidth || 300), data(props), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && w !== u.width) u.setSize({ width: w, height: props.height ?? 220 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // props are read through `shape`; data changes are handled below
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data(props));
  });

  return (
    <figure class="chart" aria-labelledby={`${props.id}-cap`}>
      <figcaption id={`${props.id}-cap`}>{props.title}</figcaption>
      <div ref={host} class="chart-canvas" aria-hidden="true" />
      {props.table && props.labels.length > 0 && (
        <details class="chart-data">
          <summary>Data table</summary>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Bucket</th>
                  {props.series.map((s) => (
                    <th scope="col" key={s.label}>
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {props.labels.map((l, i) => (
                  <tr key={l}>
                    <th scope="row">{l}</th>
                    {props.series.map((s) => {
                      const v = s.values[i];
                      return (
                        <td key={s.label} class="num">
                          {v === null || v === undefined ? '–' : (s.format?.(v) ?? String(v))}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
