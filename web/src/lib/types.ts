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

/** One retained request in `/v0/management/usage`. */
export interface UsageDetail {
  timestamp: string;
  latency_ms: number;
  source: string;
  auth_index: string;
  request_id?: string;
  tokens: Tokens;
  failed: boolean;
}

export interface ModelUsage {
  total_requests: number;
  total_tokens: number;
  details: UsageDetail[];
}

export interface ApiUsage {
  total_requests: number;
  total_tokens: number;
  models: Record<string, ModelUsage>;
}

/** `GET /v0/management/usage` → `usage`. */
export interface UsageSnapshot {
  total_requests: number;
  success_count: number;
  failure_count: number;
  total_tokens: number;
  apis: Record<string, ApiUsage>;
  requests_by_day: Record<string, number>;
  requests_by_hour: Record<string, number>;
  tokens_by_day: Record<string, number>;
  tokens_by_hour: Record<string, number>;
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
