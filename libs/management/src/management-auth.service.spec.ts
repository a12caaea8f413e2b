import * as bcryptjs from 'bcryptjs';
import type { FastifyRequest } from 'fastify';
import type { ConfigListener, ConfigService } from '@app/config';
import { BcryptHasher } from '@app/management/bcrypt.hasher';
import type { ConfigEditService, ConfigUpdater } from '@app/management/config-edit.service';
import {
  BAN_MS,
  MAX_FAILURES,
  ManagementAuthService,
} from '@app/management/management-auth.service';
import type {
  AttemptGate,
  ManagementBanRepository,
  Standing,
} from '@app/management/management-ban.repository';
import { isBcryptHash } from '@app/management/management-key';

const KEY = 'right-key';
// Cost 4 keeps the spec fast; the service hashes with its own cost.
const HASH = bcryptjs.hashSync(KEY, 4);

interface Cfg {
  secret: string;
  allowRemote: boolean;
  trusted: string[];
}

class FakeConfig {
  cfg: Cfg = { secret: HASH, allowRemote: false, trusted: [] };
  private listeners: ConfigListener[] = [];
  private trustedList: readonly string[] = [];

  get current() {
    if (this.trustedList.join() !== this.cfg.trusted.join())
      this.trustedList = [...this.cfg.trusted];
    return {
      'remote-management': { 'secret-key': this.cfg.secret, 'allow-remote': this.cfg.allowRemote },
      'trusted-proxies': this.trustedList,
    };
  }

  onChange(l: ConfigListener): () => void {
    this.listeners.push(l);
    return () => undefined;
  }

  change(patch: Partial<Cfg>): void {
    this.cfg = { ...this.cfg, ...patch };
    for (const l of this.listeners) l(this.current as never, this.current as never);
  }
}

/** The ban store's rule, in memory: attempts counted first, the sixth in a window bans. */
class FakeBans {
  attempts = new Map<string, number>();
  banned = new Map<string, number>();
  admitted: string[] = [];
  failures: [string, number][] = [];
  resets: string[] = [];

  admit(address: string, max: number, banMs: number): Promise<AttemptGate> {
    this.admitted.push(address);
    const ban = this.banned.get(address) ?? 0;
    if (ban > 0) return Promise.resolve({ allowed: false, bannedForMs: ban });
    const n = (this.attempts.get(address) ?? 0) + 1;
    this.attempts.set(address, n);
    if (n > max) {
      this.banned.set(address, banMs);
      return Promise.resolve({ allowed: false, bannedForMs: banMs });
    }
    return Promise.resolve({ allowed: true, attempt: n });
  }

  standing(address: string): Promise<Standing> {
    return Promise.resolve({
      bannedForMs: this.banned.get(address) ?? 0,
      attempts: this.attempts.get(address) ?? 0,
    });
  }

  failed(address: string, attempt: number, max: number, banMs: number): Promise<void> {
    this.failures.push([address, attempt]);
    if (attempt >= max) this.banned.set(address, banMs);
    return Promise.resolve();
  }

  reset(address: string): Promise<void> {
    this.resets.push(address);
    this.attempts.delete(address);
    return Promise.resolve();
  }
}

class FakeEdit {
  fileValue: unknown;
  written: unknown[] = [];

  constructor(private readonly config: FakeConfig) {}

  update(_path: readonly (string | number)[], updater: ConfigUpdater) {
    const next = updater(this.fileValue);
    if (!next) return Promise.resolve({ ok: true as const, changed: false });
    this.written.push(next.value);
    this.fileValue = next.value;
    this.config.change({ secret: String(next.value) });
    return Promise.resolve({ ok: true as const, changed: true });
  }
}

function request(peer: string, forwardedFor?: string): FastifyRequest {
  return {
    raw: { socket: { remoteAddress: peer } },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  } as unknown as FastifyRequest;
}

describe(ManagementAuthService.name, () => {
  let config: FakeConfig;
  let bans: FakeBans;
  let edit: FakeEdit;
  let bcrypt: BcryptHasher;

  function make(env: NodeJS.ProcessEnv = {}): ManagementAuthService {
    return new ManagementAuthService(
      config as unknown as ConfigService,
      bans as unknown as ManagementBanRepository,
      edit as unknown as ConfigEditService,
      bcrypt,
      env,
    );
  }

  beforeEach(() => {
    config = new FakeConfig();
    bans = new FakeBans();
    edit = new FakeEdit(config);
    bcrypt = new BcryptHasher();
  });

  afterEach(async () => {
    await bcrypt.onModuleDestroy();
  });

  describe('enabled', () => {
    it('should be off with neither a secret nor MANAGEMENT_PASSWORD, and answer 404', async () => {
      config.cfg.secret = '';
      const sut = make();
      expect(sut.isEnabled()).toBe(false);
      expect(await sut.authenticate('127.0.0.1', KEY)).toMatchObject({ ok: false, status: 404 });
    });

    it('should be on with only MANAGEMENT_PASSWORD', async () => {
      config.cfg.secret = '';
      const sut = make({ MANAGEMENT_PASSWORD: ' env-pass ' });
      expect(sut.isEnabled()).toBe(true);
      expect(await sut.authenticate('127.0.0.1', 'env-pass')).toEqual({ ok: true });
    });
  });

  describe('verdicts', () => {
    it('should accept the bcrypt-hashed secret from a loopback client', async () => {
      expect(await make().authenticate('127.0.0.1', KEY)).toEqual({ ok: true });
      expect(await make().authenticate('::1', KEY)).toEqual({ ok: true });
      expect(bans.failures).toEqual([]);
    });

    it('should answer 401 for a missing or wrong key and count the failure', async () => {
      const sut = make();
      expect(await sut.authenticate('127.0.0.1', '')).toEqual({
        ok: false,
        status: 401,
        message: 'missing management key',
      });
      expect(await sut.authenticate('127.0.0.1', 'wrong')).toEqual({
        ok: false,
        status: 401,
        message: 'invalid management key',
      });
      expect(bans.failures).toEqual([
        ['127.0.0.1', 1],
        ['127.0.0.1', 2],
      ]);
    });

    it('should refuse remote clients with 403 unless allow-remote, without counting a failure', async () => {
      const sut = make();
      expect(await sut.authenticate('10.0.0.5', KEY)).toEqual({
        ok: false,
        status: 403,
        message: 'remote management disabled',
      });
      expect(bans.admitted).toEqual([]);
      config.cfg.allowRemote = true;
      expect(await sut.authenticate('10.0.0.5', KEY)).toEqual({ ok: true });
    });

    it('should refuse a banned address with the time left, even with the right key', async () => {
      bans.banned.set('127.0.0.1', 1_799_400);
      const banned = {
        ok: false,
        status: 403,
        message: 'IP banned due to too many failed attempts. Try again in 29m59s',
      };
      expect(await make().authenticate('127.0.0.1', KEY)).toEqual(banned);
      // Also when the key was verified a moment ago from elsewhere (nothing counted then).
      const sut = make();
      expect(await sut.authenticate('::1', KEY)).toEqual({ ok: true });
      expect(await sut.authenticate('127.0.0.1', KEY)).toEqual(banned);
    });

    it('should forget earlier failures after a success, also with a remembered key', async () => {
      const sut = make();
      await sut.authenticate('127.0.0.1', 'typo');
      await sut.authenticate('127.0.0.1', KEY);
      expect(bans.resets).toEqual(['127.0.0.1']);
      expect(bans.attempts.get('127.0.0.1')).toBeUndefined();
      await sut.authenticate('::1', 'typo');
      await sut.authenticate('::1', KEY); // remembered: not checked again
      expect(bans.resets).toEqual(['127.0.0.1', '::1']);
      await sut.authenticate('::1', KEY); // nothing to forget: no write
      expect(bans.resets).toEqual(['127.0.0.1', '::1']);
    });

    it('should count every attempt before its key is checked, so 50 at once get 5 checks', async () => {
      const compare = jest.spyOn(bcrypt, 'compare');
      try {
        config.cfg.allowRemote = true;
        const sut = make();
        const verdicts = await Promise.all(
          Array.from({ length: 50 }, (_, i) => sut.authenticate('198.51.100.9', `guess-${i}`)),
        );
        const statuses = verdicts.map((v) => (v.ok ? 200 : v.status));
        expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES);
        expect(statuses.filter((s) => s === 403)).toHaveLength(50 - MAX_FAILURES);
        expect(compare).toHaveBeenCalledTimes(MAX_FAILURES);
        // Banned now, the right key included.
        expect(await sut.authenticate('198.51.100.9', KEY)).toMatchObject({ status: 403 });
        expect(bans.banned.get('198.51.100.9')).toBe(BAN_MS);
      } finally {
        compare.mockRestore();
      }
    });

    it('should let identical concurrent requests share one counted check', async () => {
      const compare = jest.spyOn(bcrypt, 'compare');
      try {
        const sut = make();
        const verdicts = await Promise.all(
          Array.from({ length: 10 }, () => sut.authenticate('127.0.0.1', KEY)),
        );
        expect(verdicts).toEqual(Array.from({ length: 10 }, () => ({ ok: true })));
        expect(bans.admitted).toEqual(['127.0.0.1']);
        expect(compare).toHaveBeenCalledTimes(1);
        // Remembered afterwards: neither counted nor checked again.
        expect(await sut.authenticate('127.0.0.1', KEY)).toEqual({ ok: true });
        expect(bans.admitted).toEqual(['127.0.0.1']);
        expect(compare).toHaveBeenCalledTimes(1);
      } finally {
        compare.mockRestore();
      }
    });

    it('should count a missing key as a failure, without checking anything', async () => {
      const sut = make();
      for (let i = 0; i < MAX_FAILURES; i++) await sut.authenticate('127.0.0.1', '');
      expect(await sut.authenticate('127.0.0.1', KEY)).toMatchObject({ status: 403 });
    });

    it('should skip allow-remote only for surfaces that ask, never the count', async () => {
      const sut = make();
      expect(await sut.authenticate('10.0.0.5', KEY, { remoteNeedsAllowRemote: false })).toEqual({
        ok: true,
      });
      expect(
        await sut.authenticate('10.0.0.6', 'bad', { remoteNeedsAllowRemote: false }),
      ).toMatchObject({ status: 401 });
      expect(bans.admitted).toEqual(['10.0.0.5', '10.0.0.6']);
    });
  });

  describe(ManagementAuthService.prototype.verifyKey.name, () => {
    it('should accept MANAGEMENT_PASSWORD as an extra key next to the secret', async () => {
      const sut = make({ MANAGEMENT_PASSWORD: 'env-pass' });
      expect(await sut.verifyKey('env-pass')).toBe(true);
      expect(await sut.verifyKey(KEY)).toBe(true);
      expect(await sut.verifyKey('env-pas')).toBe(false);
      expect(await sut.verifyKey('')).toBe(false);
    });

    it('should remember a successful check instead of paying for it again', async () => {
      const spy = jest.spyOn(bcrypt, 'compare');
      try {
        const sut = make();
        expect(await sut.verifyKey(KEY)).toBe(true);
        expect(await sut.verifyKey(KEY)).toBe(true);
        expect(await sut.verifyKey('wrong')).toBe(false);
        expect(await sut.verifyKey('wrong')).toBe(false);
        // One check for the good key, one per try of the bad one (failures are never cached).
        expect(spy).toHaveBeenCalledTimes(3);
      } finally {
        spy.mockRestore();
      }
    });

    it('should stop accepting a remembered key once the secret changes', async () => {
      const sut = make();
      expect(await sut.verifyKey(KEY)).toBe(true);
      config.cfg.secret = bcryptjs.hashSync('new-key', 4);
      expect(await sut.verifyKey(KEY)).toBe(false);
      expect(await sut.verifyKey('new-key')).toBe(true);
    });
  });

  describe('plain-text secret', () => {
    it('should hash it and write the hash back in place of that plain text', async () => {
      config.cfg.secret = 'plain-key';
      edit.fileValue = 'plain-key';
      const sut = make();
      // Accepted before the write-back lands...
      expect(await sut.verifyKey('plain-key')).toBe(true);
      sut.onModuleInit();
      await sut.settled();
      expect(edit.written).toHaveLength(1);
      const hashed = String(edit.written[0]);
      expect(isBcryptHash(hashed)).toBe(true);
      expect(bcryptjs.compareSync('plain-key', hashed)).toBe(true);
      // ...and after, against the hash.
      expect(config.current['remote-management']['secret-key']).toBe(hashed);
      expect(await sut.verifyKey('plain-key')).toBe(true);
      expect(await sut.verifyKey('other')).toBe(false);
    });

    it('should not overwrite the file when it no longer holds that plain text', async () => {
      config.cfg.secret = 'plain-key';
      edit.fileValue = 'edited-meanwhile';
      const sut = make();
      sut.onModuleInit();
      await sut.settled();
      expect(edit.written).toEqual([]);
    });

    it('should hash a plain secret that arrives with a later config change', async () => {
      const sut = make();
      sut.onModuleInit();
      await sut.settled();
      expect(edit.written).toEqual([]);
      edit.fileValue = 'rotated';
      config.change({ secret: 'rotated' });
      await sut.settled();
      expect(edit.written).toHaveLength(1);
      expect(bcryptjs.compareSync('rotated', String(edit.written[0]))).toBe(true);
    });
  });

  describe(ManagementAuthService.prototype.clientAddress.name, () => {
    it('should use the socket peer, and X-Forwarded-For only from a trusted proxy', () => {
      const sut = make();
      expect(sut.clientAddress(request('::ffff:10.1.1.1', '127.0.0.1'))).toBe('10.1.1.1');
      config.cfg.trusted = ['10.1.1.0/24'];
      expect(sut.clientAddress(request('10.1.1.1', '203.0.113.9'))).toBe('203.0.113.9');
      expect(sut.clientAddress(request('10.9.9.9', '127.0.0.1'))).toBe('10.9.9.9');
    });
  });
});
