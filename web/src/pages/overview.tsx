import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Chart, type ChartSeries } from '../components/chart';
import { usePanel, useResource, useStream } from '../components/hooks';
import { Loadable, Section, StreamStatus } from '../components/ui';
import { formatCount, formatMs, formatPercent } from '../lib/format';
import { RateMeter } from '../lib/rate-meter';
import type { UsageSnapshot } from '../lib/types';
import { summarizeUsage, type Series, type TopRow } from '../lib/usage';

const BLUE = '#1d4ed8';
const GREEN = '#15803d';
const ORANGE = '#c2410c';

/** Requests as bars and tokens as a line on the right axis (the by-day and by-hour charts). */
function requestsAndTokens(s: Series): ChartSeries[] {
  return [
    { label: 'Requests', values: s.requests, color: BLUE, kind: 'bars' },
    {
      label: 'Tokens',
      values: s.tokens,
      color: ORANGE,
      kind: 'line',
      right: true,
      format: formatCount,
    },
  ];
}

function TopTable({
  id,
  caption,
  rows,
  unit,
}: {
  id: string;
  caption: string;
  rows: TopRow[];
  unit: string;
}) {
  if (rows.length === 0) return <p class="muted">No {unit} yet.</p>;
  return (
    <div class="table-wrap">
      <table id={id}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{unit === 'keys' ? 'Key' : 'Model'}</th>
            <th scope="col" class="num">
              Requests
            </th>
            <th scope="col" class="num">
              Tokens
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name}>
              <th scope="row" class="mono">
                {r.name}
              </th>
              <td class="num">{formatCount(r.requests)}</td>
              <td class="num">{formatCount(r.tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Requests per second from the live request log, drawn every second. */
function LiveRate() {
  const meter = useRef(new RateMeter(60));
  const [series, setSeries] = useState<number[]>(() => meter.current.series());
  const state = useStream('/api/v1/proxy/requests/stream', (ev) => {
    if (ev.event === 'message') meter.current.add();
  });
  useEffect(() => {
    const id = setInterval(() => setSeries(meter.current.series()), 1000);
    return () => clearInterval(id);
  }, []);
  const rate = meter.current.rate(10);
  const labels = useMemo(() => series.map((_, i) => `${i - series.length + 1}s`), [series.length]);
  return (
    <Section id="live-rate" title="Live request rate">
      <StreamStatus state={state} label="Request stream" />
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

/** Totals, charts by day and hour, top keys and models, and the live request rate. */
export function Overview() {
  const { api } = usePanel();
  const usage = useResource(
    (signal) => api.get<{ usage: UsageSnapshot }>('/v0/management/usage', undefined, signal),
    [api],
    30_000,
  );
  const enabled = useResource(
    (signal) =>
      api.get<{ 'usage-statistics-enabled': boolean }>(
        '/v0/management/usage-statistics-enabled',
        undefined,
        signal,
      ),
    [api],
  );
  const summary = useMemo(
    () => (usage.data ? summarizeUsage(usage.data.usage) : undefined),
    [usage.data],
  );

  return (
    <>
      {enabled.data && enabled.data['usage-statistics-enabled'] === false && (
        <p class="notice notice-warn">
          Usage statistics are off (usage-statistics-enabled: false): the numbers below do not grow.
          Turn them on in Settings.
        </p>
      )}
      <Section
        id="totals"
        title="Totals"
        actions={
          <button type="button" onClick={usage.reload} disabled={usage.loading}>
            Refresh
          </button>
        }
      >
        <Loadable data={summary} error={usage.error} what="Usage statistics">
          {(s) => (
            <dl class="kpis" data-testid="kpis">
              <div>
                <dt>Requests</dt>
                <dd data-testid="kpi-requests">{formatCount(s.requests)}</dd>
              </div>
              <div>
                <dt>Success rate</dt>
                <dd data-testid="kpi-success">{formatPercent(s.successRate)}</dd>
              </div>
              <div>
                <dt>Failures</dt>
                <dd>{formatCount(s.failures)}</dd>
              </div>
              <div>
                <dt>Tokens</dt>
                <dd data-testid="kpi-tokens">{formatCount(s.tokens)}</dd>
              </div>
              <div>
                <dt>Avg latency</dt>
                <dd>{formatMs(s.avgLatencyMs)}</dd>
              </div>
              <div>
                <dt>p95 latency</dt>
                <dd>{formatMs(s.p95LatencyMs)}</dd>
              </div>
            </dl>
          )}
        </Loadable>
      </Section>
      <LiveRate />
      {summary && (
        <>
          <Section id="by-day" title="By day (UTC)">
            <Chart
              id="chart-day"
              title="Requests and tokens per day"
              labels={summary.byDay.labels}
              table
              series={requestsAndTokens(summary.byDay)}
            />
            <Chart
              id="chart-quality"
              title="Average latency and success rate per day (retained requests)"
              labels={summary.quality.labels}
              table
              series={[
                {
                  label: 'Avg latency (ms)',
                  values: summary.quality.avgLatencyMs,
                  color: ORANGE,
                  kind: 'line',
                  format: (v) => formatMs(v),
                },
                {
                  label: 'Success rate',
                  values: summary.quality.successRate,
                  color: GREEN,
                  kind: 'line',
                  right: true,
                  format: (v) => formatPercent(v),
                },
              ]}
            />
          </Section>
          <Section id="by-hour" title="By hour of day (UTC, all days)">
            <Chart
              id="chart-hour"
              title="Requests and tokens per hour of day"
              labels={summary.byHour.labels}
              table
              series={requestsAndTokens(summary.byHour)}
            />
          </Section>
          <div class="grid-2">
            <Section id="top-keys" title="Top keys">
              <TopTable
                id="top-keys-table"
                caption="Client keys by requests"
                rows={summary.topKeys}
                unit="keys"
              />
            </Section>
            <Section id="top-models" title="Top models">
              <TopTable
                id="top-models-table"
                caption="Models by requests"
                rows={summary.topModels}
                unit="models"
              />
            </Section>
          </div>
        </>
      )}
    </>
  );
}
