// Shapes of the gateway's answers the panel reads (see docs/usage.md, docs/cluster.md,
// docs/management.md, docs/control-api.md). Fields other surfaces may leave out are optional.

/** Token counts of one request. */
export interface Tokens {
  input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  total_tokens: number;
}

/**
 * One entry of the shared request log (`/api/v1/proxy/requests`, and the `data:` frames of its
 * stream): the supervisor API's fields, then the gateway's own.
 */
export interface RequestLogEntry {
  id: string;
  timestamp: string;
  method: string;
  url: string;
  /** Provider the request was routed to. */
  subdomain: string;
  status_code: number;
  duration_ms: number;
  remote_addr: string;
  request_id: string;
  route: string;
  model: string;
  auth_index: string;
  key: string;
  key_id: string;
  process: string;
  stream: boolean;
  failed: boolean;
  error_class: string | null;
  tokens: Tokens;
  /** Label of the credential that served it. */
  source?: string;
  /** Every attempt and cooldown wait (failed or retried requests; empty otherwise). */
  attempts?: AttemptView[];
  /** What the client was told, for failures. */
  error_message?: string;
}

export interface RequestLogPage {
  requests: RequestLogEntry[];
  filtered_count: number;
  total_count: number;
}

export type MemberStatus = 'running' | 'stopped' | 'starting' | 'stopping' | 'crashed';
export type HealthState = 'healthy' | 'unhealthy' | 'unknown';

/** A gateway replica or worker (`/api/v1/processes`). */
export interface Member {
  name: string;
  kind: 'gateway' | 'worker';
  status: MemberStatus;
  pid: number;
  uptime_seconds: number;
  restarts: number;
  health: HealthState;
}

export interface MemberDetail extends Member {
  host: string;
  version: string;
  started_at: string;
  last_heartbeat: string;
  healthcheck: {
    enabled: boolean;
    last_check: string | null;
    last_output: string;
    consecutive_failures: number;
    status?: string;
    checked_at?: string;
    checks?: Record<string, { ok: boolean; detail: string }>;
  };
  cmd: string;
  env: Record<string, string>;
}

/** One process-log line (`/api/v1/logs`, and the `data:` frames of its stream). */
export interface LogLine {
  timestamp: string;
  process: string;
  stream: 'stdout' | 'stderr';
  /** `[Context] message`. */
  line: string;
  id: string;
  level: string;
  context: string;
  message: string;
}

/** `GET /api/v1/logs`. */
export interface LogPage {
  logs: LogLine[];
  filtered_count: number;
  total_count: number;
}

/** One credential of `GET /v0/management/auth-files` (CLIProxyAPI fields, most optional). */
export interface AuthFile {
  id?: string;
  auth_index?: string;
  name: string;
  type?: string;
  provider?: string;
  label?: string;
  email?: string;
  status?: string;
  status_message?: string;
  disabled?: boolean;
  unavailable?: boolean;
  source?: string;
  size?: number;
  modtime?: string;
  account_type?: string;
  last_refresh?: string;
  next_retry_after?: string;
  /** Codex plan claims of the id_token. */
  id_token?: { plan_type?: string; chatgpt_account_id?: string };
  /** Attempt counters (all time) and last use. */
  success?: number;
  failed?: number;
  last_used?: string;
  /** The latest upstream error, cooling or not. */
  last_error?: { status: number; message: string; at: string };
  /** What the credential is benched for right now (`*`: the whole credential). */
  cooldowns?: {
    model: string;
    until: string;
    reason?: string;
    status?: number;
    message?: string;
  }[];
}

/** One window of a quota snapshot (`/api/cliproxy/quota/:provider/:accountId`). */
export interface QuotaWindow {
  name: string;
  percentage: number;
  resetTime?: string;
}

export interface QuotaSnapshot {
  success: boolean;
  provider?: string;
  accountId?: string;
  models?: QuotaWindow[];
  windows?: QuotaWindow[];
  tier?: string;
  plan?: string;
  lastUpdated?: string;
  error?: string;
}

/** One error log file (`/v0/management/request-error-logs`). */
export interface ErrorLogFile {
  name: string;
  size?: number;
  modified?: string | number;
  statusCode?: number;
  model?: string;
}

/** `GET /v0/management/get-auth-status`. */
export interface AuthStatus {
  /** `wait`, `ok` or `error`. */
  status: string;
  error?: string;
}

/** `GET /v0/management/*-auth-url`. */
export interface AuthUrl {
  status?: string;
  url?: string;
  state?: string;
  /** Device flows: the code the user types at `url` (either spelling). */
  user_code?: string;
  userCode?: string;
  verification_uri?: string;
}

/** One step of a request's way through the credentials (request log `attempts`). */
export type AttemptView =
  | {
      auth_index: string;
      source: string;
      provider: string;
      /** 0: the upstream never answered (reset, timeout). */
      status: number;
      message?: string;
      error_type?: string;
      duration_ms: number;
    }
  | { wait_seconds: number };

/** A client key's numbers over one window. */
export interface KeyWindow {
  requests: number;
  failures: number;
  tokens: number;
  failure_rate: number | null;
}

/** `GET /v0/management/client-keys` → one key. */
export interface ClientKey {
  key: string;
  key_id: string;
  masked: string;
  label: string;
  owner: string;
  created: string | null;
  expires: string | null;
  expired: boolean;
  note: string;
  usage: { '24h': KeyWindow; '7d': KeyWindow; last_used: string | null } | null;
}

export interface ClientKeyList {
  'client-keys': ClientKey[];
  orphans: string[];
  usage_error?: string;
}

export type TrafficRange = '1h' | '24h' | '7d' | '30d';

/** `GET /v0/management/traffic?range=`. */
export interface TrafficSummary {
  range: TrafficRange;
  step_seconds: number;
  from: string;
  to: string;
  slots: string[];
  requests: number[];
  failures: number[];
  tokens: number[];
  latency_ms: (number | null)[];
  failures_by_status: Record<string, number[]>;
  failures_by_class: Record<string, number[]>;
  totals: {
    requests: number;
    failures: number;
    success_rate: number | null;
    tokens: number;
    avg_latency_ms: number | null;
    p95_latency_ms_at_most: number | null;
  };
  keys: { key_id: string; requests: number; failures: number; tokens: number }[];
  models: { model: string; requests: number; failures: number; tokens: number }[];
}

/** One entry of the "needs attention" list. */
export interface AttentionItem {
  id: string;
  kind: string;
  severity: 'bad' | 'warn';
  title: string;
  detail: string;
  link: { page: string; query: Record<string, string>; label: string };
  since?: string;
  until?: string;
  models?: string[];
}

/** `GET /v0/management/attention`. */
export interface AttentionReport {
  generated_at: string;
  redis: { status: 'up' | 'down'; down_since: string | null };
  items: AttentionItem[];
  counts: { bad: number; warn: number };
  unavailable: string[];
}

/** `POST /v0/management/credentials/test`. */
export interface ProbeResult {
  ok: boolean;
  status: number;
  model: string;
  latency_ms: number;
  message: string;
}
