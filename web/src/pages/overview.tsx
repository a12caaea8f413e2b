import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Chart, type ChartSeries } from '../components/chart';
import { useClientKeys, usePanel, useResource, useStream } from '../components/hooks';
import { Badge, Loadable, Section, StreamStatus } from '../components/ui';
import { formatCount, formatMs, formatPercent, formatRelative, formatTime } from '../lib/format';
import { keyName, keysById } from '../lib/key-labels';
import { RateMeter } from '../lib/rate-meter';
import { pageHash } from '../lib/routes';
import { displayBuckets, regroup, timeZoneNote } from '../lib/time';
import type { AttentionItem, RequestLogPage, TrafficRange, TrafficSummary } from '../lib/types';

const BLUE = '#1d4ed8';
const GREEN = '#15803d';
const RED = '#b91c1c';
/** Distinct, print-safe colours for the failure breakdowns (text always names them too). */
const PALETTE = ['#b91c1c', '#c2410c', '#a16207', '#7c3aed', '#0e7490', '#be185d', '#4b5563'];

const RANGES: readonly { id: TrafficRange; label: string }[] = [
  { id: '1h', label: '1 hour' },
  { id: '24h', label: '24 hours' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
];

/** One "needs attention" entry: what, since or until when, and the link to where it is fixed. */
function AttentionEntry({ item }: { item: AttentionItem }) {
  return (
    <li class={`attention-item attention-${item.severity}`} data-kind={item.kind}>
      <Badge tone={item.severity === 'bad' ? 'bad' : 'warn'}>
        {item.severity === 'bad' ? 'problem' : 'warning'}
      </Badge>{' '}
      <span class="attention-title">{item.title}</span>
      <span class="cell-sub">
        {/[.!?]$/.test(item.detail) ? item.detail : `${item.detail}.`}
        {item.since && (
          <>
            {' '}
            Since {formatTime(item.since)} ({formatRelative(item.since)}).
          </>
        )}
        {item.until && (
          <>
            {' '}
            Until {formatTime(item.until)} ({formatRelative(item.until)}).
          </>
        )}
      </span>
      <a class="attention-link" href={pageHash(item.link.page, item.link.query)}>
        {item.link.label}
      </a>
    </li>
  );
}

/** The strip at the top of the Overview: everything an operator should look at now. */
function AttentionStrip() {
  const { attention } = usePanel();
  return (
    <Section
      id="attention"
      title="Needs attention"
      actions={
        <button type="button" onClick={attention.reload} disabled={attention.loading}>
          Refresh
        </button>
      }
    >
      <Loadable data={attention.data} error={attention.error} what="The attention list">
        {(r) => (
          <>
            {r.items.length === 0 ? (
              <p class="notice notice-ok" data-testid="attention-empty">
                Nothing needs attention: every credential, model and replica is fine.
              </p>
            ) : (
              <ul class="attention-list" data-testid="attention">
                {r.items.map((i) => (
                  <AttentionEntry key={i.id} item={i} />
                ))}
              </ul>
            )}
            {r.unavailable.length > 0 && (
              <p class="muted small">
                Not checked while Redis is unreachable: {r.unavailable.join(', ')}.
              </p>
            )}
            <p class="muted small">
              Checked {formatRelative(r.generated_at)}; refreshes every 5 s.
            </p>
          </>
        )}
      </Loadable>
    </Section>
  );
}

/** Requests per second from the live request log, backfilled from the log's recent entries. */
function LiveRate() {
  const { api, health } = usePanel();
  const meter = useRef(new RateMeter(60));
  const seen = useRef(new Set<string>());
  const [series, setSeries] = useState<number[]>(() => meter.current.series());
  // The minute before the page opened, from the shared log, so the chart does not start at zero.
  useEffect(() => {
    const controller = new AbortController();
    api
      .get<RequestLogPage>('/api/v1/proxy/requests', { limit: 1000 }, controller.signal)
      .then((page) => {
        const since = Date.now() - 60_000;
        for (const r of page.requests) {
          const t = Date.parse(r.timestamp);
          if (t >= since && !seen.current.has(r.id)) {
            seen.current.add(r.id);
            meter.current.add(t);
          }
        }
        setSeries(meter.current.series());
      })
      .catch(() => undefined);
    return () => controller.abort();
  }, [api]);
  const state = useStream('/api/v1/proxy/requests/stream', (ev) => {
    if (ev.event !== 'message') return;
    let id = '';
    let t = Date.now();
    try {
      const e = JSON.parse(ev.data) as { id?: string; timestamp?: string };
      id = e.id ?? '';
      t = Date.parse(e.timestamp ?? '') || t;
    } catch {
      // not an entry: count it now
    }
    if (id && seen.current.has(id)) return;
    if (id) seen.current.add(id);
    if (seen.current.size > 5000) seen.current = new Set();
    meter.current.add(t);
  });
  useEffect(() => {
    const id = setInterval(() => setSeries(meter.current.series()), 1000);
    return () => clearInterval(id);
  }, []);
  const rate = meter.current.rate(10);
  const labels = useMemo(() => series.map((_, i) => `${i - series.length + 1}s`), [series.length]);
  return (
    <Section id="live-rate" title="Live request rate">
      <StreamStatus
        state={state}
        label="Request stream"
        sourceDown={health.redisDown ? 'Redis unreachable' : undefined}
      />
      <p class="kpi-inline">
        <span class="kpi-value" data-testid="live-rate">
          {rate.toFixed(rate >= 10 ? 0 : 1)}
        </span>{' '}
        requests/s over the last 10 s (all replicas)
      </p>
      <Chart
        id="chart-live"
        title="Requests per second, last 60 s"
        labels={labels}
        height={140}
        series={[{ label: 'req/s', values: series, color: BLUE, kind: 'bars' }]}
      />
    </Section>
  );
}

function stackedColumns(cols: Record<string, number[]>, regroupCol: (v: number[]) => number[]) {
  return Object.entries(cols).map(([name, values], i): ChartSeries => ({
    label: name,
    values: regroupCol(values),
    color: PALETTE[i % PALETTE.length] ?? RED,
    kind: 'bars',
    stack: true,
  }));
}

function Kpis({ s }: { s: TrafficSummary }) {
  const t = s.totals;
  return (
    <dl class="kpis" data-testid="kpis">
      <div>
        <dt>Requests</dt>
        <dd data-testid="kpi-requests">{formatCount(t.requests)}</dd>
      </div>
      <div>
        <dt>Success rate</dt>
        <dd data-testid="kpi-success">{formatPercent(t.success_rate)}</dd>
      </div>
      <div>
        <dt>Failures</dt>
        <dd data-testid="kpi-failures">{formatCount(t.failures)}</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd data-testid="kpi-tokens">{formatCount(t.tokens)}</dd>
      </div>
      <div>
        <dt>Avg latency</dt>
        <dd>{formatMs(t.avg_latency_ms)}</dd>
      </div>
      <div>
        <dt>p95 latency</dt>
        <dd title="From a latency histogram: the 95th percentile is at most this">
          {t.p95_latency_ms_at_most === null ? '–' : `≤ ${formatMs(t.p95_latency_ms_at_most)}`}
        </dd>
      </div>
    </dl>
  );
}

/** Totals, charts and top lists of one time range, from the server's summary. */
function Traffic() {
  const { api } = usePanel();
  const [range, setRange] = useState<TrafficRange>('24h');
  const traffic = useResource(
    (signal) => api.get<TrafficSummary>('/v0/management/traffic', { range }, signal),
    [api, range],
    range === '1h' ? 10_000 : 30_000,
  );
  const keys = useClientKeys();
  const byId = useMemo(() => keysById(keys.data?.['client-keys']), [keys.data]);
  const view = useMemo(() => {
    const s = traffic.data;
    if (!s) return undefined;
    const b = displayBuckets(s.slots, s.step_seconds, s.range);
    const col = (v: number[]) => regroup(v, b);
    const failures = col(s.failures);
    const successes = col(s.requests).map((r, i) => r - (failures[i] ?? 0));
    return {
      labels: b.labels,
      volume: [
        { label: 'Succeeded', values: successes, color: GREEN, kind: 'bars', stack: true },
        { label: 'Failed', values: failures, color: RED, kind: 'bars', stack: true },
      ] satisfies ChartSeries[],
      byStatus: stackedColumns(s.failures_by_status, col),
      byClass: stackedColumns(s.failures_by_class, col),
    };
  }, [traffic.data]);
  const unit = range === '1h' ? 'minute' : range === '30d' ? 'day' : 'hour';

  return (
    <>
      <Section
        id="totals"
        title="Traffic"
        actions={
          <div class="range-picker" role="group" aria-label="Time range">
            {RANGES.map((r) => (
              <button
                key={r.id}
                type="button"
                aria-pressed={range === r.id}
                onClick={() => setRange(r.id)}
              >
                {r.label}
              </button>
            ))}
          </div>
        }
      >
        <p class="muted small" data-testid="timezone">
          Last {RANGES.find((r) => r.id === range)?.label}, per {unit}. Times in {timeZoneNote()}.
          Refreshes by itself.
        </p>
        <Loadable data={traffic.data} error={traffic.error} what="Traffic">
          {(s) => <Kpis s={s} />}
        </Loadable>
        {view && (
          <>
            <Chart
              id="chart-volume"
              title={`Requests per ${unit}: succeeded and failed (stacked)`}
              labels={view.labels}
              table
              series={view.volume}
            />
            <div class="grid-2">
              {view.byStatus.length > 0 ? (
                <Chart
                  id="chart-status"
                  title={`Failures per ${unit} by HTTP status`}
                  labels={view.labels}
                  table
                  series={view.byStatus}
                />
              ) : (
                <p class="muted">No failures in this range.</p>
              )}
              {view.byClass.length > 0 && (
                <Chart
                  id="chart-class"
                  title={`Failures per ${unit} by error class`}
                  labels={view.labels}
                  table
                  series={view.byClass}
                />
              )}
            </div>
          </>
        )}
      </Section>
      {traffic.data && (
        <div class="grid-2">
          <Section id="top-keys" title="Client keys">
            {traffic.data.keys.length === 0 ? (
              <p class="muted">No client key was used in this range.</p>
            ) : (
              <div class="table-wrap">
                <table id="top-keys-table" class="cards">
                  <caption>Client keys by requests in this range</caption>
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col" class="num">
                        Requests
                      </th>
                      <th scope="col" class="num">
                        Failure rate
                      </th>
                      <th scope="col" class="num">
                        Tokens
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {traffic.data.keys.slice(0, 10).map((k) => {
                      const known = byId.get(k.key_id);
                      return (
                        <tr key={k.key_id} data-key-id={k.key_id}>
                          <th scope="row">
                            <a href={pageHash('requests', { key: k.key_id })}>
                              {keyName(known, k.key_id)}
                            </a>
                            {known?.label && <span class="cell-sub mono">{known.masked}</span>}
                          </th>
                          <td class="num" data-label="Requests">
                            {formatCount(k.requests)}
                          </td>
                          <td class="num" data-label="Failure rate">
                            {formatPercent(k.requests ? k.failures / k.requests : null)}
                          </td>
                          <td class="num" data-label="Tokens">
                            {formatCount(k.tokens)}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
          <Section id="top-models" title="Models">
            {traffic.data.models.length === 0 ? (
              <p class="muted">No requests in this range.</p>
            ) : (
              <div class="table-wrap">
                <table id="top-models-table" class="cards">
                  <caption>Models by requests in this range</caption>
                  <thead>
                    <tr>
                      <th scope="col">Model</th>
                      <th scope="col" class="num">
                        Requests
                      </th>
                      <th scope="col" class="num">
                        Failure rate
                      </th>
                      <th scope="col" class="num">
                        Tokens
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {traffic.data.models.slice(0, 10).map((m) => (
                      <tr key={m.model}>
                        <th scope="row" class="mono">
                          {m.model}
                        </th>
                        <td class="num" data-label="Requests">
                          {formatCount(m.requests)}
                        </td>
                        <td class="num" data-label="Failure rate">
                          {formatPercent(m.requests ? m.failures / m.requests : null)}
                        </td>
                        <td class="num" data-label="Tokens">
                          {formatCount(m.tokens)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
        </div>
      )}
    </>
  );
}

/** What needs attention, the traffic of a time range, and the live request rate. */
export function Overview() {
  return (
    <>
      <AttentionStrip />
      <Traffic />
      <LiveRate />
    </>
  );
}
