import { Test, type TestingModule } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import { GatewayModule } from '@app/gateway/gateway.module';
import { WorkerModule } from '@app/worker/worker.module';
import { tempConfigDir, uniquePrefix } from '@test/utils/env';

const ROOT = join(__dirname, '..', '..', '..');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'switchboard-dashboard.json');
const METRICS_DOC = join(ROOT, 'docs', 'metrics.md');

/** What the code registers: metric name → type and label names. */
type Catalog = Map<string, { type: string; labels: readonly string[] }>;

interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
}

interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}

// Series Prometheus makes itself for every target, and the labels it adds to every series.
const PROMETHEUS_SERIES = new Set(['up']);
const TARGET_LABELS = ['instance', 'job'];
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;
/** prom-client's default metrics, under their standard (unprefixed) names. */
const STANDARD_NAME = /^(process|nodejs)_/;
const IDENTIFIER = /\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g;
const GROUPING = /\b(?:by|without)\s*\(([^)]*)\)/g;
const MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"/g;
const LEGEND_LABEL = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

async function catalogOf(registry: Registry, into: Catalog): Promise<void> {
  // Label names are not part of the JSON view; the metric objects carry them.
  const labelsOf = new Map(
    registry
      .getMetricsAsArray()
      .map((m) => m as unknown as { name: string; labelNames?: readonly string[] })
      .map((m) => [m.name, m.labelNames ?? []] as const),
  );
  for (const { name, type } of await registry.getMetricsAsJSON()) {
    into.set(name, { type: String(type), labels: labelsOf.get(name) ?? [] });
  }
}

/** Every panel, rows' nested panels included. */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** The metric names an expression reads (histogram series mapped to their metric). */
function metricsOf(expr: string, catalog: Catalog): { known: string[]; unknown: string[] } {
  const known: string[] = [];
  const unknown: string[] = [];
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  for (const id of withoutStrings.match(IDENTIFIER) ?? []) {
    if (PROMETHEUS_SERIES.has(id)) {
      known.push(id);
      continue;
    }
    if (!id.startsWith(METRIC_PREFIX) && !STANDARD_NAME.test(id)) continue;
    const base = catalog.has(id) ? id : id.replace(HISTOGRAM_SUFFIX, '');
    if (catalog.has(base) && (base === id || catalog.get(base)?.type === 'histogram')) {
      known.push(base);
    } else {
      unknown.push(id);
    }
  }
  return { known, unknown };
}

function labelsUsed(expr: string): { grouping: string[]; matchers: string[] } {
  const grouping = [...expr.matchAll(GROUPING)].flatMap((m) =>
    m[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const matchers = [...expr.matchAll(MATCHER)].map((m) => m[1]);
  return { grouping, matchers };
}

describe('Grafana dashboard and metrics docs', () => {
  const catalog: Catalog = new Map();
  const gatewayNames = new Set<string>();
  const workerNames = new Set<string>();
  let dashboard: { uid?: string; panels: Panel[]; templating: { list: { name: string }[] } };

  beforeAll(async () => {
    // The real modules, compiled but not started: every metric is registered by a constructor.
    const authDir = mkdtempSync(join(tmpdir(), 'sb-dashboard-auths-'));
    const cfg = tempConfigDir(
      [
        'port: 8317',
        `auth-dir: "${authDir}"`,
        'redis:',
        `  key-prefix: "${uniquePrefix('dashboard')}"`,
      ].join('\n'),
    );
    const saved = process.env.CONFIG_PATH;
    process.env.CONFIG_PATH = cfg.path;
    try {
      for (const [module, names] of [
        [GatewayModule, gatewayNames],
        [WorkerModule, workerNames],
      ] as const) {
        const ref: TestingModule = await Test.createTestingModule({ imports: [module] })
          .setLogger({ log() {}, error() {}, warn() {} })
          .compile();
        try {
          const registry = ref.get(MetricsService).registry;
          await catalogOf(registry, catalog);
          for (const m of await registry.getMetricsAsJSON()) names.add(m.name);
        } finally {
          await ref.close();
        }
      }
    } finally {
      process.env.CONFIG_PATH = saved;
      cfg.cleanup();
      rmSync(authDir, { recursive: true, force: true });
    }
    dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  }, 60_000);

  it('should collect the metrics of both processes', () => {
    expect(gatewayNames.has(`${METRIC_PREFIX}proxy_requests_total`)).toBe(true);
    expect(workerNames.has(`${METRIC_PREFIX}queue_jobs`)).toBe(true);
    expect(workerNames.has(`${METRIC_PREFIX}proxy_requests_total`)).toBe(false);
  });

  it('should only query metrics and labels the code registers', () => {
    const problems: string[] = [];
    const targets = allPanels(dashboard.panels).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title ?? String(p.id), ...t })),
    );
    expect(targets.length).toBeGreaterThan(30);
    for (const t of targets) {
      const expr = t.expr ?? '';
      const { known, unknown } = metricsOf(expr, catalog);
      if (unknown.length) problems.push(`${t.panel}: unknown metric ${unknown.join(', ')}`);
      if (known.length === 0) problems.push(`${t.panel}: "${expr}" reads no metric`);
      const allowed = new Set([
        ...TARGET_LABELS,
        ...known.flatMap((k) => catalog.get(k)?.labels ?? []),
      ]);
      if (known.some((k) => catalog.get(k)?.type === 'histogram')) allowed.add('le');
      const { grouping, matchers } = labelsUsed(expr);
      for (const label of [...grouping, ...matchers]) {
        if (!allowed.has(label))
          problems.push(`${t.panel}: label ${label} is not on ${known.join(', ')}`);
      }
      // A legend can only show labels that survive the aggregation.
      const kept = grouping.length ? new Set(grouping) : allowed;
      for (const m of (t.legendFormat ?? '').matchAll(LEGEND_LABEL)) {
        if (!kept.has(m[1])) problems.push(`${t.panel}: legend {{${m[1]}}} is aggregated away`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('should chart every subject an operator needs', () => {
    const read = new Set(
      allPanels(dashboard.panels).flatMap((p) =>
        (p.targets ?? []).flatMap((t) => metricsOf(t.expr ?? '', catalog).known),
      ),
    );
    const subjects = [
      'proxy_requests_total',
      'proxy_request_duration_seconds',
      'upstream_time_to_first_byte_seconds',
      'tokens_total',
      'upstream_errors_total',
      'proxy_failovers_total',
      'cooldowns_total',
      'credentials',
      'quota_remaining_ratio',
      'proxy_in_flight_requests',
      'proxy_open_streams',
      'redis_command_errors_total',
      'redis_command_duration_seconds',
      'usage_records_buffered',
      'usage_records_dropped_total',
      'queue_jobs',
      'job_failures_total',
      'job_duration_seconds',
      'config_reloads_total',
    ].map((s) => METRIC_PREFIX + s);
    expect(subjects.filter((s) => !read.has(s))).toEqual([]);
  });

  it('should be a well-formed Grafana dashboard bound to its data source variable', () => {
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    const panels = allPanels(dashboard.panels);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(
      expect.arrayContaining(['datasource', 'instance']),
    );
    for (const p of panels) {
      const g = p.gridPos!;
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('should scrape the job names the dashboard expects, in both Prometheus configs', () => {
    const jobVar = dashboard.templating.list.find((v) => v.name === 'gateway_job') as
      { query?: string } | undefined;
    for (const file of ['prometheus.yml', 'prometheus.static.yml']) {
      const cfg = parseYaml(readFileSync(join(ROOT, 'deploy', 'prometheus', file), 'utf8')) as {
        scrape_configs: { job_name: string; metrics_path: string }[];
      };
      const jobs = cfg.scrape_configs.map((j) => j.job_name);
      expect(jobs).toEqual(['switchboard-gateway', 'switchboard-worker']);
      expect(cfg.scrape_configs.every((j) => j.metrics_path === '/metrics')).toBe(true);
      expect(jobs).toContain(jobVar?.query);
    }
  });

  it("should keep prom-client's process and Node.js metrics under their standard names", () => {
    for (const names of [gatewayNames, workerNames]) {
      expect(names.has('process_resident_memory_bytes')).toBe(true);
      expect(names.has('nodejs_heap_size_used_bytes')).toBe(true);
      expect(names.has('process_cpu_seconds_total')).toBe(true);
      const stray = [...names].filter(
        (n) => !n.startsWith(METRIC_PREFIX) && !STANDARD_NAME.test(n),
      );
      expect(stray).toEqual([]);
      expect([...names].filter((n) => /^switchboard_(process|nodejs)_/.test(n))).toEqual([]);
    }
  });

  it('should document every metric either process registers', () => {
    const doc = readFileSync(METRICS_DOC, 'utf8');
    const ours = [...catalog.keys()].filter((n) => !STANDARD_NAME.test(n));
    expect(ours.length).toBeGreaterThan(25);
    expect(ours.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
