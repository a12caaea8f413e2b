import { Injectable } from '@nestjs/common';
import { hashTag, RedisService } from '@app/storage';
import type {
  HealthReport,
  MemberKind,
  MemberRecord,
  MemberState,
  ReportedStatus,
} from '@app/cluster/member.types';

/** How long a member's record outlives its last heartbeat (crashed members stay visible). */
export const RECORD_TTL_SECONDS = 7 * 24 * 3600;

/** The membership keys' hash tag. */
const CLUSTER = hashTag('cluster');
const KINDS: ReadonlySet<string> = new Set(['gateway', 'worker']);
const STATUSES: ReadonlySet<string> = new Set(['running', 'stopped', 'starting', 'stopping']);

function parseJson<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A member hash back into a record (undefined when it is not one). */
export function recordFromHash(h: Record<string, string>): MemberRecord | undefined {
  if (!h.name || !KINDS.has(h.kind)) return undefined;
  return {
    name: h.name,
    kind: h.kind as MemberKind,
    pid: Number(h.pid) || 0,
    host: h.host ?? '',
    version: h.version ?? '',
    started: Number(h.started) || 0,
    restarts: Number(h.restarts) || 0,
    status: STATUSES.has(h.status) ? (h.status as ReportedStatus) : 'running',
    health: h.health === 'healthy' ? 'healthy' : 'unhealthy',
    healthcheck: parseJson<HealthReport & { checked_at: string }>(h.healthcheck),
    env: parseJson<Record<string, string>>(h.env) ?? {},
    updated: Number(h.updated) || 0,
    sessions: Math.max(0, Number(h.sessions) || 0),
    failures: Math.max(0, Number(h.failures) || 0),
    cmd: h.cmd ?? '',
  };
}

/**
 * Cluster membership in Redis (docs/cluster.md): a set of names, a hash per member and a
 * heartbeat key with a TTL per member, all under one hash tag (`<prefix>{cluster}:`): a
 * heartbeat writes several in one MULTI, so on a Redis Cluster they share a slot. A member whose heartbeat key expired is dead; its hash
 * stays (for a week) so the API can show it as crashed or stopped.
 */
@Injectable()
export class MembershipRepository {
  constructor(private readonly redis: RedisService) {}

  private get setKey(): string {
    return this.redis.key(CLUSTER, 'members');
  }

  private hashKey(name: string): string {
    return this.redis.key(CLUSTER, 'member', name);
  }

  private beatKey(name: string): string {
    return this.redis.key(CLUSTER, 'hb', name);
  }

  private get tokensKey(): string {
    return this.redis.key(CLUSTER, 'tokens');
  }

  private get shutdownKey(): string {
    return this.redis.key(CLUSTER, 'shutdown');
  }

  /**
   * Write the whole record and refresh the heartbeat (one MULTI). The heartbeat holds the
   * writing process's instance id and the time, so a newcomer can tell a live holder of a name
   * (whose heartbeat keeps changing) from a dead one.
   */
  async save(rec: MemberRecord, ttlMs: number, tokenHash?: string, instance = ''): Promise<void> {
    const tx = this.redis.command
      .multi()
      .sadd(this.setKey, rec.name)
      .hset(this.hashKey(rec.name), {
        name: rec.name,
        kind: rec.kind,
        pid: String(rec.pid),
        host: rec.host,
        version: rec.version,
        started: String(rec.started),
        restarts: String(rec.restarts),
        status: rec.status,
        health: rec.health,
        healthcheck: rec.healthcheck ? JSON.stringify(rec.healthcheck) : '',
        env: JSON.stringify(rec.env),
        updated: String(rec.updated),
        sessions: String(rec.sessions ?? 0),
        failures: String(rec.failures ?? 0),
        cmd: rec.cmd ?? '',
      })
      .expire(this.hashKey(rec.name), RECORD_TTL_SECONDS)
      .set(this.beatKey(rec.name), `${instance}:${rec.updated}`, 'PX', ttlMs);
    if (tokenHash) tx.sadd(this.tokensKey, tokenHash);
    await tx.exec();
  }

  /**
   * A goodbye: the final status, and the heartbeat removed (the record stays visible) unless
   * `keepHeartbeat` (a restarting member lets it lapse on its own).
   */
  async depart(
    name: string,
    status: ReportedStatus,
    at: number,
    keepHeartbeat = false,
  ): Promise<void> {
    const tx = this.redis.command.multi().hset(this.hashKey(name), { status, updated: String(at) });
    if (!keepHeartbeat) tx.del(this.beatKey(name));
    await tx.exec();
  }

  /** Every known member with whether it is alive, sorted by name. */
  async list(): Promise<MemberState[]> {
    const names = (await this.redis.command.smembers(this.setKey)).sort();
    if (names.length === 0) return [];
    const p = this.redis.command.pipeline();
    for (const n of names) p.hgetall(this.hashKey(n)).exists(this.beatKey(n));
    const res = (await p.exec()) ?? [];
    const out: MemberState[] = [];
    const gone: string[] = [];
    names.forEach((name, i) => {
      const hash = res[i * 2]?.[1] as Record<string, string> | undefined;
      const alive = Number(res[i * 2 + 1]?.[1]) === 1;
      const record = hash ? recordFromHash(hash) : undefined;
      if (record) out.push({ record, alive });
      else gone.push(name);
    });
    // Records past their retention leave the set too.
    if (gone.length) await this.redis.command.srem(this.setKey, ...gone);
    return out;
  }

  /** The raw heartbeat of a name (`<instance>:<ms>`), or undefined when none is alive. */
  async heartbeat(name: string): Promise<string | undefined> {
    return (await this.redis.command.get(this.beatKey(name))) ?? undefined;
  }

  /**
   * Refresh only the session count of a member (between heartbeats, when it changes), so the
   * cluster-wide count is current without waiting for the next beat.
   */
  async saveSessions(name: string, sessions: number): Promise<void> {
    // Only into an existing record: a late write must not resurrect a departed member's hash.
    await this.redis.command.eval(
      "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HSET', KEYS[1], 'sessions', ARGV[1]) end return 0",
      1,
      this.hashKey(name),
      String(sessions),
    );
  }

  /** One member, or undefined when unknown. */
  async get(name: string): Promise<MemberState | undefined> {
    const res = await this.redis.command
      .pipeline()
      .hgetall(this.hashKey(name))
      .exists(this.beatKey(name))
      .exec();
    const hash = res?.[0]?.[1] as Record<string, string> | undefined;
    const record = hash ? recordFromHash(hash) : undefined;
    if (!record) return undefined;
    return { record, alive: Number(res?.[1]?.[1]) === 1 };
  }

  /** Forget a member entirely. */
  async remove(name: string): Promise<void> {
    await this.redis.command
      .multi()
      .srem(this.setKey, name)
      .del(this.hashKey(name), this.beatKey(name))
      .exec();
  }

  /** True when the hash of a presented token belongs to a member's generated token. */
  async isKnownTokenHash(hash: string): Promise<boolean> {
    return (await this.redis.command.sismember(this.tokensKey, hash)) === 1;
  }

  /** Mark a cluster-wide shutdown (commands are refused while it lasts). */
  async markShutdown(ttlSeconds: number): Promise<void> {
    await this.redis.command.set(this.shutdownKey, String(Date.now()), 'EX', ttlSeconds);
  }

  /** True while a cluster-wide shutdown is in progress. */
  async isShuttingDown(): Promise<boolean> {
    return (await this.redis.command.exists(this.shutdownKey)) === 1;
  }
}
