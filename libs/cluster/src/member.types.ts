/** What a member runs. */
export type MemberKind = 'gateway' | 'worker';

/** Status a member reports about itself. */
export type ReportedStatus = 'running' | 'stopped' | 'starting' | 'stopping';

/** Status as the cluster API shows it: `crashed` when the heartbeat lapsed without a goodbye. */
export type MemberStatus = ReportedStatus | 'crashed';

/** Health verdict from the member's own checks (`unknown` when it no longer reports). */
export type HealthState = 'healthy' | 'unhealthy' | 'unknown';

/** One of a member's own checks (Redis reachable, credentials loaded, queues running). */
export interface HealthCheck {
  ok: boolean;
  detail: string;
}

/** The member's latest health report. */
export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  checks: Record<string, HealthCheck>;
}

/** A member as stored in Redis (its hash). */
export interface MemberRecord {
  name: string;
  kind: MemberKind;
  pid: number;
  host: string;
  version: string;
  /** Process start (ms since epoch). */
  started: number;
  /** How many times the supervisor restarted it (SB_RESTARTS). */
  restarts: number;
  status: ReportedStatus;
  health: 'healthy' | 'unhealthy';
  /** The latest health report with the time it was taken. */
  healthcheck: (HealthReport & { checked_at: string }) | undefined;
  /** Selected environment variables, secrets redacted. */
  env: Record<string, string>;
  /** Last heartbeat (ms since epoch). */
  updated: number;
  /** Open client sessions (streams, WebSockets) at the last heartbeat; gateways only. */
  sessions?: number;
  /** Health reports in a row that were unhealthy (0 after a healthy one). */
  failures?: number;
  /** The command line that runs the process. */
  cmd?: string;
}

/** A member in `GET /api/v1/processes`. */
export interface MemberView {
  name: string;
  kind: MemberKind;
  status: MemberStatus;
  pid: number;
  uptime_seconds: number;
  restarts: number;
  health: HealthState;
}

/**
 * A member's health checks in `GET /api/v1/processes/:name`: the supervisor API's fields, then
 * the latest report itself (when there is one).
 */
export interface HealthcheckView {
  /** Every member runs its own checks with each heartbeat. */
  enabled: true;
  /** ISO time of the latest report, null before the first. */
  last_check: string | null;
  /** `OK`, or the failing checks with their details. */
  last_output: string;
  /** Unhealthy reports in a row. */
  consecutive_failures: number;
  status?: HealthReport['status'];
  checks?: HealthReport['checks'];
  checked_at?: string;
}

/** A member in `GET /api/v1/processes/:name`. */
export interface MemberDetail extends MemberView {
  healthcheck: HealthcheckView;
  /** The command line that runs the process. */
  cmd: string;
  env: Record<string, string>;
  host: string;
  version: string;
  started_at: string;
  last_heartbeat: string;
}

/** A member's stored record and whether its heartbeat key is still alive. */
export interface MemberState {
  record: MemberRecord;
  alive: boolean;
}

/**
 * How a stored member looks to the API: a member whose heartbeat lapsed is `crashed` unless it
 * said goodbye (`stopped`); uptime and health are only meaningful while it reports.
 */
export function viewOf({ record, alive }: MemberState, now = Date.now()): MemberView {
  let status: MemberStatus = record.status;
  if (!alive) status = record.status === 'stopped' ? 'stopped' : 'crashed';
  return {
    name: record.name,
    kind: record.kind,
    status,
    pid: record.pid,
    uptime_seconds: alive ? Math.max(0, Math.floor((now - record.started) / 1000)) : 0,
    restarts: record.restarts,
    health: alive ? record.health : 'unknown',
  };
}

/** What the latest report says, in one line: `OK` or the failing checks. */
function healthOutput(report: HealthReport | undefined): string {
  if (!report) return '';
  const failing = Object.entries(report.checks).filter(([, c]) => !c.ok);
  if (report.status === 'healthy' && failing.length === 0) return 'OK';
  return failing.map(([name, c]) => `${name}: ${c.detail}`).join('; ') || report.status;
}

/** The detail view (adds the health checks, command line, redacted env, host, version, times). */
export function detailOf(state: MemberState, now = Date.now()): MemberDetail {
  const r = state.record;
  const report = r.healthcheck;
  const healthcheck: HealthcheckView = {
    enabled: true,
    last_check: report?.checked_at ?? null,
    last_output: healthOutput(report),
    consecutive_failures: r.failures ?? 0,
  };
  if (report) Object.assign(healthcheck, report);
  return {
    ...viewOf(state, now),
    healthcheck,
    cmd: r.cmd ?? '',
    env: r.env,
    host: r.host,
    version: r.version,
    started_at: new Date(r.started).toISOString(),
    last_heartbeat: new Date(r.updated).toISOString(),
  };
}
