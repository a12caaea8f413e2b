import type { UsageTokens } from '@app/usage/usage-record';

/** One request in a model's detail list (CLIProxyAPI's `RequestDetail` JSON shape). */
export interface UsageDetail {
  /** UTC, RFC 3339 with nine fraction digits. */
  timestamp: string;
  latency_ms: number;
  /** Credential label (email or masked key). */
  source: string;
  auth_index: string;
  /** The gateway's request id (omitted when unknown, e.g. imported from CLIProxyAPI). */
  request_id?: string;
  tokens: UsageTokens;
  failed: boolean;
}

/** Aggregates and retained details of one model under one API key. */
export interface ModelSnapshot {
  total_requests: number;
  total_tokens: number;
  details: UsageDetail[];
}

/** Aggregates of one API key (masked client key, or the route when the proxy is open). */
export interface ApiSnapshot {
  total_requests: number;
  total_tokens: number;
  models: Record<string, ModelSnapshot>;
}

/** CLIProxyAPI's `StatisticsSnapshot`: what `GET /v0/management/usage` answers under `usage`. */
export interface UsageSnapshot {
  total_requests: number;
  success_count: number;
  failure_count: number;
  total_tokens: number;
  apis: Record<string, ApiSnapshot>;
  /** `YYYY-MM-DD` (UTC) → requests. */
  requests_by_day: Record<string, number>;
  /** `HH` (UTC hour of day, summed over days) → requests. */
  requests_by_hour: Record<string, number>;
  tokens_by_day: Record<string, number>;
  tokens_by_hour: Record<string, number>;
}

/** `GET /v0/management/usage/export`. */
export interface UsageExport {
  version: 1;
  exported_at: string;
  usage: UsageSnapshot;
}

/** `POST /v0/management/usage/import`. */
export interface UsageImportResult {
  added: number;
  skipped: number;
  total_requests: number;
  failed_requests: number;
}

/** What a snapshot is narrowed to (all optional; times are epoch milliseconds, inclusive). */
export interface UsageFilter {
  fromMs?: number;
  toMs?: number;
  api?: string;
  model?: string;
}
