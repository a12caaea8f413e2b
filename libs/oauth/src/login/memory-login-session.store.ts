import {
  FINISHED_SESSION_KEEP_MS,
  type ClaimResult,
  type DeviceLoginState,
  type LoginOutcome,
  type LoginSession,
  type LoginSessionRecord,
  type LoginSessionStore,
} from '@app/oauth/login/login-session.types';

interface Entry {
  record: LoginSessionRecord;
  expiresAt: number;
}

/**
 * Login sessions in this process only: for a CLI login without Redis. Same semantics as the
 * Redis store (one claim per state, TTLs), minus sharing.
 */
export class MemoryLoginSessionStore implements LoginSessionStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly leases = new Map<string, { owner: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(state: string): Entry | undefined {
    const e = this.sessions.get(state);
    if (e && e.expiresAt <= this.now()) {
      this.sessions.delete(state);
      return undefined;
    }
    return e;
  }

  async create(session: LoginSession, ttlMs: number): Promise<void> {
    this.sessions.set(session.state, {
      record: { session: structuredClone(session), status: 'wait' },
      expiresAt: this.now() + ttlMs,
    });
  }

  async get(state: string): Promise<LoginSessionRecord | undefined> {
    const e = this.live(state);
    return e ? structuredClone(e.record) : undefined;
  }

  async claim(state: string): Promise<ClaimResult> {
    const e = this.live(state);
    if (!e) return { claimed: false };
    const { status, error, fileName } = e.record;
    if (status !== 'wait') return { claimed: false, record: { status, error, fileName } };
    e.record.status = 'exchanging';
    return { claimed: true, session: structuredClone(e.record.session) };
  }

  async finish(state: string, outcome: LoginOutcome): Promise<void> {
    const e = this.live(state);
    if (!e) return;
    e.record.status = outcome.status;
    if (outcome.status === 'ok') e.record.fileName = outcome.fileName;
    else e.record.error = outcome.error;
    e.expiresAt = Math.max(e.expiresAt, this.now() + FINISHED_SESSION_KEEP_MS);
  }

  async updateDevice(state: string, device: DeviceLoginState): Promise<void> {
    const e = this.live(state);
    if (e) e.record.session.device = { ...device };
  }

  async pendingDeviceStates(): Promise<string[]> {
    const now = this.now();
    const out: string[] = [];
    for (const [state, e] of this.sessions) {
      const d = e.record.session.device;
      if (e.expiresAt > now && d && d.expiresAt > now && e.record.status === 'wait')
        out.push(state);
    }
    return out;
  }

  async leasePoll(state: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const l = this.leases.get(state);
    if (l && l.until > now && l.owner !== owner) return false;
    this.leases.set(state, { owner, until: now + ttlMs });
    return true;
  }

  async releasePoll(state: string, owner: string): Promise<void> {
    if (this.leases.get(state)?.owner === owner) this.leases.delete(state);
  }
}
