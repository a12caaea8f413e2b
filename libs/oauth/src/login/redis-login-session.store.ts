import { hashTag, LeaseRepository, type RedisService } from '@app/storage';
import {
  FINISHED_SESSION_KEEP_MS,
  type ClaimResult,
  type DeviceLoginState,
  type LoginOutcome,
  type LoginSession,
  type LoginSessionRecord,
  type LoginSessionStore,
  type LoginStatus,
} from '@app/oauth/login/login-session.types';

// wait → exchanging in one step, so two callbacks for one state (a replay, a double click, two
// replicas) never both exchange the code. Returns {1, data} to the winner, {0, status, error,
// file} to everyone else, nil when the session is unknown or expired.
const CLAIM = `
local v = redis.call('HMGET', KEYS[1], 'status', 'data', 'error', 'file')
if not v[1] then return nil end
if v[1] ~= 'wait' then return {0, v[1], v[3] or '', v[4] or ''} end
redis.call('HSET', KEYS[1], 'status', 'exchanging')
return {1, v[2]}
`;

// Record the outcome and keep it readable for ARGV[4] ms at least (a slow exchange may have
// outlived the session's TTL); the device-poll index forgets the state.
const FINISH = `
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'error', ARGV[2], 'file', ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
redis.call('ZREM', KEYS[2], ARGV[5])
return 1
`;

// Only rewrite the session data while the session still exists (never resurrect it without TTL).
const UPDATE_DATA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1])
return 1
`;

const STATUSES: ReadonlySet<string> = new Set<LoginStatus>(['wait', 'exchanging', 'ok', 'error']);

function statusOf(v: string | null | undefined): LoginStatus {
  return v && STATUSES.has(v) ? (v as LoginStatus) : 'error';
}

/** Sessions, the device index and the poll leases share a hash tag (one MULTI, one script). */
const LOGIN = hashTag('login');

/**
 * Login sessions in Redis, one hash per state (`oauth:{login}:<state>`: data, status, error,
 * file) with the session's TTL, plus a sorted set of pending device logins (score = device-code
 * expiry) and a poll lease per device login.
 */
export class RedisLoginSessionStore implements LoginSessionStore {
  private readonly leases: LeaseRepository;

  constructor(private readonly redis: RedisService) {
    this.leases = new LeaseRepository(redis);
  }

  private sessionKey(state: string): string {
    return this.redis.key('oauth', LOGIN, state);
  }

  private deviceIndexKey(): string {
    return this.redis.key('oauth', LOGIN, 'devices');
  }

  private leaseKey(state: string): string {
    return this.redis.key('oauth', LOGIN, 'poll', state);
  }

  async create(session: LoginSession, ttlMs: number): Promise<void> {
    const key = this.sessionKey(session.state);
    const multi = this.redis.command
      .multi()
      .hset(key, 'data', JSON.stringify(session), 'status', 'wait')
      .pexpire(key, ttlMs);
    if (session.device) multi.zadd(this.deviceIndexKey(), session.device.expiresAt, session.state);
    const results = await multi.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
  }

  async get(state: string): Promise<LoginSessionRecord | undefined> {
    const [data, status, error, file] = await this.redis.command.hmget(
      this.sessionKey(state),
      'data',
      'status',
      'error',
      'file',
    );
    if (!data) return undefined;
    const rec: LoginSessionRecord = {
      session: JSON.parse(data) as LoginSession,
      status: statusOf(status),
    };
    if (error) rec.error = error;
    if (file) rec.fileName = file;
    return rec;
  }

  async claim(state: string): Promise<ClaimResult> {
    const res = (await this.redis.command.eval(CLAIM, 1, this.sessionKey(state))) as
      [number, string, string?, string?] | null;
    if (!res) return { claimed: false };
    if (res[0] === 1) return { claimed: true, session: JSON.parse(res[1]) as LoginSession };
    const record: Omit<LoginSessionRecord, 'session'> = { status: statusOf(res[1]) };
    if (res[2]) record.error = res[2];
    if (res[3]) record.fileName = res[3];
    return { claimed: false, record };
  }

  async finish(state: string, outcome: LoginOutcome): Promise<void> {
    await this.redis.command.eval(
      FINISH,
      2,
      this.sessionKey(state),
      this.deviceIndexKey(),
      outcome.status,
      outcome.status === 'error' ? outcome.error : '',
      outcome.status === 'ok' ? outcome.fileName : '',
      FINISHED_SESSION_KEEP_MS,
      state,
    );
  }

  async updateDevice(state: string, device: DeviceLoginState): Promise<void> {
    const rec = await this.get(state);
    if (!rec) return;
    await this.redis.command.eval(
      UPDATE_DATA,
      1,
      this.sessionKey(state),
      JSON.stringify({ ...rec.session, device }),
    );
  }

  async pendingDeviceStates(): Promise<string[]> {
    const key = this.deviceIndexKey();
    await this.redis.command.zremrangebyscore(key, '-inf', Date.now());
    return this.redis.command.zrange(key, 0, -1);
  }

  async leasePoll(state: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.leases.acquire(this.leaseKey(state), owner, ttlMs);
  }

  async releasePoll(state: string, owner: string): Promise<void> {
    await this.leases.release(this.leaseKey(state), owner);
  }
}
