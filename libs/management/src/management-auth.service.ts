import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHmac, randomBytes } from 'node:crypto';
import { AddressSet, clientAddress, isLoopback, safeEqual } from '@app/common';
import { ConfigService } from '@app/config';
import { BcryptHasher } from '@app/management/bcrypt.hasher';
import { ConfigEditService } from '@app/management/config-edit.service';
import { ManagementBanRepository } from '@app/management/management-ban.repository';
import { formatGoDuration, isBcryptHash } from '@app/management/management-key';

/** Injection token for the environment MANAGEMENT_PASSWORD is read from (tests pass their own). */
export const MANAGEMENT_ENV = 'SB_MANAGEMENT_ENV';

/** Failed attempts from one address before it is banned (CLIProxyAPI's limit). */
export const MAX_FAILURES = 5;
/** How long a ban lasts. */
export const BAN_MS = 30 * 60 * 1000;
/** How long a successful bcrypt verification is remembered. */
const VERIFIED_TTL_MS = 60_000;
const SECRET_PATH = ['remote-management', 'secret-key'] as const;

/** The verdict on one management request. */
export type ManagementAuthResult =
  { ok: true } | { ok: false; status: 401 | 403 | 404; message: string };

/**
 * Management API authentication (CLIProxyAPI semantics): the `remote-management.secret-key`
 * (stored bcrypt-hashed: a plain-text value is hashed on load and written back to config.yaml)
 * and the MANAGEMENT_PASSWORD env var are accepted; with neither the API does not exist (404);
 * only loopback clients unless `allow-remote`; 5 failures from one address ban it for 30 minutes
 * on every replica.
 */
@Injectable()
export class ManagementAuthService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ManagementAuth');
  private readonly envPassword: string;
  private readonly hmacKey = randomBytes(32);
  /** HMAC of keys bcrypt accepted recently → expiry; cleared when the hash changes. */
  private readonly verified = new Map<string, number>();
  private verifiedFor = '';
  private trusted: { list: readonly string[]; set: AddressSet } | undefined;
  private hashing: Promise<void> | undefined;
  private offChange: (() => void) | undefined;

  constructor(
    private readonly config: ConfigService,
    private readonly bans: ManagementBanRepository,
    private readonly edit: ConfigEditService,
    private readonly bcrypt: BcryptHasher,
    @Optional() @Inject(MANAGEMENT_ENV) env?: NodeJS.ProcessEnv,
  ) {
    this.envPassword = (env ?? process.env).MANAGEMENT_PASSWORD?.trim() ?? '';
  }

  onModuleInit(): void {
    this.offChange = this.config.onChange(() => void this.hashSecretIfPlain());
    void this.hashSecretIfPlain();
  }

  onModuleDestroy(): void {
    this.offChange?.();
  }

  /** Resolves once a pending write-back of the hashed secret has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await this.hashing;
  }

  /** True when a management key exists (config secret or MANAGEMENT_PASSWORD). */
  isEnabled(): boolean {
    return this.secret() !== '' || this.envPassword !== '';
  }

  /** Check a management key against MANAGEMENT_PASSWORD and the configured secret. */
  async verifyKey(key: string): Promise<boolean> {
    if (!key) return false;
    if (this.envPassword && safeEqual(key, this.envPassword)) return true;
    const secret = this.secret();
    if (!secret) return false;
    // A plain-text secret not yet hashed (or too long for bcrypt) is compared as is.
    if (!isBcryptHash(secret)) return safeEqual(key, secret);
    return this.bcryptVerify(key, secret);
  }

  /** The client address of a request: the socket peer, or X-Forwarded-For from a trusted proxy. */
  clientAddress(req: FastifyRequest): string {
    return clientAddress(
      req.raw.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      this.trustedSet(),
    );
  }

  /** Decide a management request from its client address and the key it sent ('' for none). */
  async authenticate(address: string, provided: string): Promise<ManagementAuthResult> {
    if (!this.isEnabled()) return { ok: false, status: 404, message: 'management API disabled' };
    const status = await this.bans.status(address);
    if (status.bannedForMs > 0) {
      return {
        ok: false,
        status: 403,
        message: `IP banned due to too many failed attempts. Try again in ${formatGoDuration(status.bannedForMs / 1000)}`,
      };
    }
    if (!isLoopback(address) && !this.config.current['remote-management']['allow-remote']) {
      return { ok: false, status: 403, message: 'remote management disabled' };
    }
    if (!provided) {
      await this.bans.recordFailure(address, MAX_FAILURES, BAN_MS);
      return { ok: false, status: 401, message: 'missing management key' };
    }
    if (!(await this.verifyKey(provided))) {
      await this.bans.recordFailure(address, MAX_FAILURES, BAN_MS);
      return { ok: false, status: 401, message: 'invalid management key' };
    }
    if (status.failures > 0) await this.bans.reset(address);
    return { ok: true };
  }

  private secret(): string {
    return this.config.current['remote-management']['secret-key'];
  }

  private trustedSet(): AddressSet {
    const list = this.config.current['trusted-proxies'];
    if (this.trusted?.list !== list) this.trusted = { list, set: new AddressSet(list) };
    return this.trusted.set;
  }

  private async bcryptVerify(key: string, secretHash: string): Promise<boolean> {
    if (this.verifiedFor !== secretHash) {
      this.verified.clear();
      this.verifiedFor = secretHash;
    }
    // bcrypt costs ~100 ms per check: remember successes briefly under a keyed HMAC (the key
    // itself is never kept, and the tag is useless without this process's random HMAC key).
    const tag = createHmac('sha256', this.hmacKey).update(key).digest('base64');
    const now = Date.now();
    const until = this.verified.get(tag);
    if (until !== undefined && until > now) return true;
    const ok = await this.bcrypt.compare(key, secretHash);
    if (ok) {
      if (this.verified.size > 64) this.verified.clear();
      this.verified.set(tag, now + VERIFIED_TTL_MS);
    }
    return ok;
  }

  /** Replace a plain-text secret in config.yaml by its bcrypt hash (once per change). */
  private hashSecretIfPlain(): Promise<void> {
    const plain = this.secret();
    if (!plain || isBcryptHash(plain) || this.hashing) return this.hashing ?? Promise.resolve();
    if (this.bcrypt.truncates(plain)) {
      this.logger.warn(
        "remote-management.secret-key is longer than bcrypt's 72 bytes: it stays in plain text; use a shorter key to have it hashed",
      );
      return Promise.resolve();
    }
    this.hashing = (async () => {
      const hashed = await this.bcrypt.hash(plain);
      // Only if the file still holds that plain text (an operator may have changed it since).
      const result = await this.edit.update(SECRET_PATH, (current) =>
        current === plain ? { value: hashed } : undefined,
      );
      if (!result.ok) throw new Error(result.error);
      if (result.changed)
        this.logger.log('remote-management.secret-key hashed with bcrypt in config.yaml');
    })()
      .catch((err: unknown) => {
        this.logger.warn(
          `could not write the hashed remote-management.secret-key back to config.yaml (it keeps working in plain text): ${(err as Error).message}`,
        );
      })
      .finally(() => {
        this.hashing = undefined;
      });
    return this.hashing;
  }
}
