import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ConfigService } from '@app/config';
import { parseModelSuffix } from '@app/llm';
import {
  CounterSeries,
  HistogramSeries,
  LabelCache,
  METRIC_PREFIX,
  MetricsService,
} from '@app/metrics';
import type { UsageRecord } from '@app/usage';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Status class label (2xx, 4xx, …): bounded, unlike raw codes from clients. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? STATUS_CLASSES[Math.floor(status / 100) - 1] : 'other';
}

/**
 * Distinct model labels kept before new names are counted as `other`: served names are a finite
 * registry, but a catalog can be large and a misconfigured wildcard must not explode the series.
 */
export const MAX_MODEL_LABELS = 500;

/**
 * Raw model names (suffixes included) whose label is remembered before that cache starts over:
 * clients can vary the suffix (`m(1)`, `m(2)`, …), so raw names are not bounded like labels are.
 */
const MAX_CACHED_RAW_MODELS = 2000;

type TokenKind = 'input' | 'output' | 'reasoning' | 'cached';

/** Token series of one provider and model. */
type TokenSeries = Record<TokenKind, CounterSeries<'provider' | 'model' | 'kind'>>;

/** Client-key series of one key id. */
interface ClientSeries {
  requests: LabelCache<string, CounterSeries<'client_key' | 'status_class'>>;
  input: CounterSeries<'client_key' | 'kind'>;
  output: CounterSeries<'client_key' | 'kind'>;
}

type RequestLabel = 'route' | 'format' | 'provider' | 'model' | 'status_class';

/**
 * Proxy metrics. Labels are bounded: route patterns, formats, provider ids, model names served.
 * With `metrics.client-key-label: short-id` requests and tokens are also counted per client key
 * (its 8-hex-digit id, never the key); only configured keys get through authentication, so that
 * label is bounded by `api-keys`.
 */
@Injectable()
export class ProxyMetrics {
  readonly requests: Counter<RequestLabel>;
  readonly latency: Histogram<'route' | 'provider'>;
  readonly upstreamTtfb: Histogram<'provider'>;
  readonly upstreamErrors: Counter<'provider' | 'status'>;
  readonly failovers: Counter<'provider'>;
  readonly tokens: Counter<'provider' | 'model' | 'kind'>;
  readonly inFlight: Gauge;
  readonly openStreams: Gauge;
  /** Requests per client key id and status class (only with `client-key-label: short-id`). */
  readonly clientRequests: Counter<'client_key' | 'status_class'>;
  /** Tokens per client key id and kind (only with `client-key-label: short-id`). */
  readonly clientTokens: Counter<'client_key' | 'kind'>;
  private readonly models = new Set<string>();
  /** Model label per raw model name, so the suffix is parsed once per name. */
  private readonly modelLabels = new LabelCache<string, string>(
    (raw) => this.admitModel(parseModelSuffix(raw).model),
    MAX_CACHED_RAW_MODELS,
  );
  // Label-bound series, one cache level per label (libs/metrics metric-series.ts says why).
  private readonly requestSeries: LabelCache<
    string,
    LabelCache<
      string,
      LabelCache<string, LabelCache<string, LabelCache<string, CounterSeries<RequestLabel>>>>
    >
  >;
  private readonly latencySeries: LabelCache<
    string,
    LabelCache<string, HistogramSeries<'route' | 'provider'>>
  >;
  private readonly tokenSeries: LabelCache<string, LabelCache<string, TokenSeries>>;
  private readonly clientSeries: LabelCache<string, ClientSeries>;
  private readonly ttfbSeries: LabelCache<string, HistogramSeries<'provider'>>;
  private readonly errorSeries: LabelCache<
    string,
    LabelCache<number, CounterSeries<'provider' | 'status'>>
  >;
  private readonly failoverSeries: LabelCache<string, CounterSeries<'provider'>>;

  constructor(
    metrics: MetricsService,
    private readonly config: ConfigService,
  ) {
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: `${METRIC_PREFIX}proxy_requests_total`,
      help: 'Proxied requests by route, client format, provider, model and status class',
      labelNames: ['route', 'format', 'provider', 'model', 'status_class'],
      registers,
    });
    this.latency = new Histogram({
      name: `${METRIC_PREFIX}proxy_request_duration_seconds`,
      help: 'Proxied request duration (to the last byte) by route and provider',
      labelNames: ['route', 'provider'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.upstreamTtfb = new Histogram({
      name: `${METRIC_PREFIX}upstream_time_to_first_byte_seconds`,
      help: 'Time from sending to the upstream until its response headers',
      labelNames: ['provider'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: `${METRIC_PREFIX}upstream_errors_total`,
      help: 'Upstream error responses by provider and status',
      labelNames: ['provider', 'status'],
      registers,
    });
    this.failovers = new Counter({
      name: `${METRIC_PREFIX}proxy_failovers_total`,
      help: 'Requests retried on another credential',
      labelNames: ['provider'],
      registers,
    });
    this.tokens = new Counter({
      name: `${METRIC_PREFIX}tokens_total`,
      help: 'Tokens by provider, model and kind (input, output, reasoning, cached)',
      labelNames: ['provider', 'model', 'kind'],
      registers,
    });
    this.inFlight = new Gauge({
      name: `${METRIC_PREFIX}proxy_in_flight_requests`,
      help: 'Proxied requests in progress',
      registers,
    });
    this.openStreams = new Gauge({
      name: `${METRIC_PREFIX}proxy_open_streams`,
      help: 'Client streams open right now',
      registers,
    });
    this.clientRequests = new Counter({
      name: `${METRIC_PREFIX}client_requests_total`,
      help: 'Proxied requests by client key id (metrics.client-key-label: short-id) and status class',
      labelNames: ['client_key', 'status_class'],
      registers,
    });
    this.clientTokens = new Counter({
      name: `${METRIC_PREFIX}client_tokens_total`,
      help: 'Tokens by client key id (metrics.client-key-label: short-id) and kind (input, output)',
      labelNames: ['client_key', 'kind'],
      registers,
    });

    const { requests, latency, tokens, clientRequests, clientTokens } = this;
    this.requestSeries = new LabelCache(
      (route) =>
        new LabelCache(
          (format) =>
            new LabelCache(
              (provider) =>
                new LabelCache(
                  (model) =>
                    new LabelCache(
                      (status_class) =>
                        new CounterSeries(requests, {
                          route,
                          format,
                          provider,
                          model,
                          status_class,
                        }),
                    ),
                ),
            ),
        ),
    );
    this.latencySeries = new LabelCache(
      (route) => new LabelCache((provider) => new HistogramSeries(latency, { route, provider })),
    );
    this.tokenSeries = new LabelCache(
      (provider) =>
        new LabelCache((model) => ({
          input: new CounterSeries(tokens, { provider, model, kind: 'input' }),
          output: new CounterSeries(tokens, { provider, model, kind: 'output' }),
          reasoning: new CounterSeries(tokens, { provider, model, kind: 'reasoning' }),
          cached: new CounterSeries(tokens, { provider, model, kind: 'cached' }),
        })),
    );
    this.clientSeries = new LabelCache((client_key) => ({
      requests: new LabelCache(
        (status_class) => new CounterSeries(clientRequests, { client_key, status_class }),
      ),
      input: new CounterSeries(clientTokens, { client_key, kind: 'input' }),
      output: new CounterSeries(clientTokens, { client_key, kind: 'output' }),
    }));
    const { upstreamTtfb, upstreamErrors, failovers } = this;
    this.ttfbSeries = new LabelCache((provider) => new HistogramSeries(upstreamTtfb, { provider }));
    this.errorSeries = new LabelCache(
      (provider) =>
        new LabelCache(
          (status) => new CounterSeries(upstreamErrors, { provider, status: String(status) }),
        ),
    );
    this.failoverSeries = new LabelCache((provider) => new CounterSeries(failovers, { provider }));
  }

  /** Admit a served name as a model label while under the cap; past it, `other`. */
  private admitModel(model: string): string {
    if (this.models.has(model)) return model;
    if (this.models.size >= MAX_MODEL_LABELS) return 'other';
    this.models.add(model);
    return model;
  }

  /** Count a finished request. */
  observe(rec: UsageRecord): void {
    const provider = rec.provider || 'none';
    // Served names only: a thinking suffix (`model(8192)`) would let clients mint new series.
    const model = rec.provider ? this.modelLabels.get(rec.model) : 'unrouted';
    const status_class = statusClass(rec.status);
    this.requestSeries
      .get(rec.route)
      .get(rec.clientFormat)
      .get(provider)
      .get(model)
      .get(status_class)
      .inc();
    this.latencySeries
      .get(rec.route)
      .get(provider)
      .observe(rec.latencyMs / 1000);
    const t = rec.tokens;
    if (t.total_tokens > 0) {
      const ts = this.tokenSeries.get(provider).get(model);
      ts.input.inc(t.input_tokens);
      ts.output.inc(t.output_tokens);
      if (t.reasoning_tokens) ts.reasoning.inc(t.reasoning_tokens);
      if (t.cached_tokens) ts.cached.inc(t.cached_tokens);
    }
    if (rec.clientKeyId && this.config.current.metrics['client-key-label'] === 'short-id') {
      const cs = this.clientSeries.get(rec.clientKeyId);
      cs.requests.get(status_class).inc();
      if (t.total_tokens > 0) {
        cs.input.inc(t.input_tokens);
        cs.output.inc(t.output_tokens);
      }
    }
  }

  /** Time to the upstream's response headers: `upstreamTtfb` by provider. */
  observeTtfb(provider: string, seconds: number): void {
    this.ttfbSeries.get(provider).observe(seconds);
  }

  /** One failed upstream attempt: `upstreamErrors` by provider and status. */
  countUpstreamError(provider: string, status: number): void {
    this.errorSeries.get(provider).get(status).inc();
  }

  /** One attempt on another credential after a failure: `failovers` by provider. */
  countFailover(provider: string): void {
    this.failoverSeries.get(provider).inc();
  }
}
