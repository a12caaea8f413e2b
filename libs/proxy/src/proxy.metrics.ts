import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { parseModelSuffix } from '@app/llm';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import type { UsageRecord } from '@app/proxy/usage.types';

/** Status class label (2xx, 4xx, …): bounded, unlike raw codes from clients. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/** Proxy metrics. Labels are bounded: route patterns, formats, provider ids, model names served. */
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

  constructor(metrics: MetricsService) {
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
  }

  /** Count a finished request. */
  observe(rec: UsageRecord): void {
    const provider = rec.provider || 'none';
    // Served names only: a thinking suffix (`model(8192)`) would let clients mint new series.
    const model = rec.provider ? parseModelSuffix(rec.model).model : 'unrouted';
    this.requests.inc({
      route: rec.route,
      format: rec.clientFormat,
      provider,
      model,
      status_class: statusClass(rec.status),
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
  }
}
