import { Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ConfigService } from '@app/config';
import { parseModelSuffix } from '@app/llm';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import type { UsageRecord } from '@app/proxy/usage.types';

/** Status class label (2xx, 4xx, …): bounded, unlike raw codes from clients. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * Distinct model labels kept before new names are counted as `other`: served names are a finite
 * registry, but a catalog can be large and a misconfigured wildcard must not explode the series.
 */
export const MAX_MODEL_LABELS = 500;

/**
 * Proxy metrics. Labels are bounded: route patterns, formats, provider ids, model names served.
 * With `metrics.client-key-label: short-id` requests and tokens are also counted per client key
 * (its 8-hex-digit id, never the key); only configured keys get through authentication, so that
 * label is bounded by `api-keys`.
 */
@Injectable()
export class ProxyMetrics {
  readonly requests: Counter<'route' | 'format' | 'provider' | 'model' | 'status_class'>;
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

  constructor(
    metrics: MetricsService,
    @Optional() private readonly config?: ConfigService,
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
  }

  /** The model label: the served name without a thinking suffix, capped in number. */
  private modelLabel(rec: UsageRecord): string {
    // Served names only: a thinking suffix (`model(8192)`) would let clients mint new series.
    if (!rec.provider) return 'unrouted';
    const model = parseModelSuffix(rec.model).model;
    if (this.models.has(model)) return model;
    if (this.models.size >= MAX_MODEL_LABELS) return 'other';
    this.models.add(model);
    return model;
  }

  /** Count a finished request. */
  observe(rec: UsageRecord): void {
    const provider = rec.provider || 'none';
    const model = this.modelLabel(rec);
    const status_class = statusClass(rec.status);
    this.requests.inc({
      route: rec.route,
      format: rec.clientFormat,
      provider,
      model,
      status_class,
    });
    this.latency.observe({ route: rec.route, provider }, rec.latencyMs / 1000);
    const t = rec.tokens;
    if (t.total_tokens > 0) {
      this.tokens.inc({ provider, model, kind: 'input' }, t.input_tokens);
      this.tokens.inc({ provider, model, kind: 'output' }, t.output_tokens);
      if (t.reasoning_tokens)
        this.tokens.inc({ provider, model, kind: 'reasoning' }, t.reasoning_tokens);
      if (t.cached_tokens) this.tokens.inc({ provider, model, kind: 'cached' }, t.cached_tokens);
    }
    if (rec.clientKeyId && this.config?.current.metrics['client-key-label'] === 'short-id') {
      const client_key = rec.clientKeyId;
      this.clientRequests.inc({ client_key, status_class });
      if (t.total_tokens > 0) {
        this.clientTokens.inc({ client_key, kind: 'input' }, t.input_tokens);
        this.clientTokens.inc({ client_key, kind: 'output' }, t.output_tokens);
      }
    }
  }
}
