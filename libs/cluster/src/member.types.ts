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

/** A member in `GET /api/v1/processes/:name`. */
export interface MemberDetail extends MemberView {
  host: string;
  version: string;
  started_at: string;
  last_heartbeat: string;
  healthcheck: (HealthReport & { checked_at: string }) | null;
  env: Record<string, string>;
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

/** The detail view (adds host, version, times, the health report and the redacted env). */
export function detailOf(state: MemberState, now = Date.now()): MemberDetail {
  const r = state.record;
  return {
    ...viewOf(state, now),
    host: r.host,
    version: r.version,
    started_at: new Date(r.started).toISOString(),
    last_heartbeat: new Date(r.updated).toISOString(),
    healthcheck: r.healthcheck ?? null,
    env: r.env,
  };
}
