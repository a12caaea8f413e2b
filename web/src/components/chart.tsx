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
  /** Stack on the stacked series before it (bars only; the first stacked series is the bottom). */
  stack?: boolean;
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

/** Width (CSS px) an axis needs for its widest label, so no label is ever clipped. */
function axisWidth(values: readonly (string | number | null)[] | undefined): number {
  const longest = Math.max(1, ...(values ?? []).map((v) => String(v ?? '').length));
  return Math.ceil(longest * 7.2) + 18;
}

/** Draw order: stacked series top layer first, so each lower layer is painted over it. */
function drawOrder(series: readonly ChartSeries[]): number[] {
  const stacked = series.map((s, i) => (s.stack ? i : -1)).filter((i) => i >= 0);
  const rest = series.map((_, i) => i).filter((i) => !series[i].stack);
  return [...stacked.reverse(), ...rest];
}

/** Each stacked series as the running total of the stacked series up to it. */
function stackedValues(series: readonly ChartSeries[]): (number | null)[][] {
  const running: number[] = [];
  return series.map((s) => {
    if (!s.stack) return s.values;
    return s.values.map((v, i) => {
      running[i] = (running[i] ?? 0) + (v ?? 0);
      return running[i];
    });
  });
}

function options(props: ChartProps, width: number, latest: () => ChartProps): uPlot.Options {
  const { labels, series } = props;
  const hasRight = series.some((s) => s.right);
  const barCount = series.some((s) => s.stack)
    ? series.filter((s) => s.kind === 'bars' && !s.stack).length + 1
    : series.filter((s) => s.kind === 'bars').length || 1;
  const bars = uPlot.paths.bars?.({ size: [0.7 / barCount, 48], gap: 1 });
  const order = drawOrder(series);
  return {
    width,
    height: props.height ?? 220,
    // Values on hover: the legend follows the cursor and names each series' own value.
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
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
        incrs: [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 24, 30, 48, 60, 96, 120, 168],
        space: Math.max(48, Math.max(...labels.map((l) => l.length)) * 7.2 + 12),
      },
      {
        stroke: AXIS_STROKE,
        font: FONT,
        grid: { stroke: GRID, width: 1 },
        values: (_u, splits) => splits.map(shortNumber),
        size: (_u, values) => axisWidth(values),
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
              size: (_u: uPlot, values: string[]) => axisWidth(values),
            },
          ]
        : []),
    ],
    series: [
      {
        label: 'Time',
        value: (_u, _v, _s, i) => (i === null ? '' : (latest().labels[i] ?? '')),
      },
      ...order.map((k): uPlot.Series => {
        const s = series[k];
        return {
          label: s.label,
          scale: s.right ? 'r' : 'y',
          stroke: s.color,
          width: s.kind === 'line' ? 2 : 1,
          fill: s.kind === 'bars' ? `${s.color}cc` : undefined,
          paths: s.kind === 'bars' ? bars : undefined,
          points: { show: s.kind === 'line' && labels.length < 40 },
          spanGaps: false,
          // The series' own value, not the stacked total it is drawn at.
          value: (_u, _v, _s, i) => {
            // Read the latest data: plain updates go through setData, not new options.
            const raw = i === null ? null : latest().series[k]?.values[i];
            return raw === null || raw === undefined ? '–' : (s.format?.(raw) ?? String(raw));
          },
        };
      }),
    ],
  };
}

function data(props: ChartProps): uPlot.AlignedData {
  const drawn = stackedValues(props.series);
  return [props.labels.map((_, i) => i), ...drawOrder(props.series).map((k) => drawn[k])];
}

/**
 * A uPlot chart that follows its container's width. The canvas is hidden from assistive
 * technology; the figure caption names it and an optional table carries the numbers.
 */
export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  // Rebuild when the series set changes; plain data updates go through setData.
  const shape = `${props.series.map((s) => `${s.label}:${s.kind}:${s.right ? 1 : 0}:${s.stack ? 1 : 0}`).join('|')}#${props.labels.join(',')}`;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const u = new uPlot(
      options(props, el.clientWidth || 300, () => latest.current),
      data(props),
      el,
    );
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
