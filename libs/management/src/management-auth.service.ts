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
/** How long a verified key is remembered (no attempt counted, no bcrypt). */
const VERIFIED_TTL_MS = 60_000;
const SECRET_PATH = ['remote-management', 'secret-key'] as const;

/** The verdict on one management request. */
export type ManagementAuthResult =
  { ok: true } | { ok: false; status: 401 | 403 | 404; message: string };

/** How a surface applies the management key's rules. */
export interface AuthenticateOptions {
  /**
   * Remote callers need `remote-management.allow-remote` (default true: the management and
   * control APIs). The cluster API accepts the key from remote supervisors without it.
   */
  remoteNeedsAllowRemote?: boolean;
}

const OK: ManagementAuthResult = { ok: true };

function bannedVerdict(ms: number): ManagementAuthResult {
  return {
    ok: false,
    status: 403,
    message: `IP banned due to too many failed attempts. Try again in ${formatGoDuration(ms / 1000)}`,
  };
}

/**
 * The one authenticator of the management key, shared by every surface that accepts it
 * (management API, control API, cluster API), with CLIProxyAPI's rules: the
 * `remote-management.secret-key` (stored bcrypt-hashed: a plain-text value is hashed on load and
 * written back to config.yaml) and the MANAGEMENT_PASSWORD env var are accepted; with neither
 * there is no key (404); only loopback clients unless `allow-remote`; 5 failures from one address
 * ban it for 30 minutes on every replica.
 *
 * Every attempt is counted before its key is looked at (ManagementBanRepository.admit), so
 * concurrent guesses get at most 5 keys evaluated per address across the cluster. Concurrent
 * requests carrying the same key from the same address share one evaluation (a browser panel
 * opening with a fresh key is one attempt, not ten), and a key verified recently is accepted
 * without counting or bcrypt. bcrypt runs on a worker thread (BcryptHasher).
 */
@Injectable()
export class ManagementAuthService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ManagementAuth');
  private readonly envPassword: string;
  private readonly hmacKey = randomBytes(32);
  /** HMAC of keys verified recently → expiry; cleared when the secret changes. */
  private readonly verified = new Map<string, number>();
  private verifiedFor = '';
  /** Evaluations in progress, by address and key HMAC: identical requests join them. */
  private readonly flights = new Map<string, Promise<ManagementAuthResult>>();
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

  /** Stop following config changes; a write-back of the hashed secret in progress finishes. */
  async onModuleDestroy(): Promise<void> {
    this.offChange?.();
    await this.hashing;
  }

  /** Resolves once a pending write-back of the hashed secret has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await this.hashing;
  }

  /** True when a management key exists (config secret or MANAGEMENT_PASSWORD). */
  isEnabled(): boolean {
    return this.secret() !== '' || this.envPassword !== '';
  }

  /**
   * Check a management key against MANAGEMENT_PASSWORD and the configured secret. Counts
   * nothing: surfaces call `authenticate`, which counts the attempt first.
   */
  async verifyKey(key: string): Promise<boolean> {
    if (!key) return false;
    const tag = this.tag(key);
    if (this.remembered(tag)) return true;
    const secret = this.secret();
    let ok: boolean;
    if (this.envPassword && safeEqual(key, this.envPassword)) ok = true;
    else if (!secret) ok = false;
    // A plain-text secret not yet hashed (or too long for bcrypt) is compared as is.
    else if (!isBcryptHash(secret)) ok = safeEqual(key, secret);
    else ok = await this.bcrypt.compare(key, secret);
    // Not if the secret changed while bcrypt ran: the key was checked against the old one.
    if (ok && this.secret() === secret) this.remember(tag);
    return ok;
  }

  /** The client address of a request: the socket peer, or X-Forwarded-For from a trusted proxy. */
  clientAddress(req: FastifyRequest): string {
    return clientAddress(
      req.raw.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      this.trustedSet(),
    );
  }

  /** Decide a request from its client address and the key it sent ('' for none). */
  async authenticate(
    address: string,
    provided: string,
    options: AuthenticateOptions = {},
  ): Promise<ManagementAuthResult> {
    if (!this.isEnabled()) return { ok: false, status: 404, message: 'management API disabled' };
    if (
      (options.remoteNeedsAllowRemote ?? true) &&
      !isLoopback(address) &&
      !this.config.current['remote-management']['allow-remote']
    ) {
      return { ok: false, status: 403, message: 'remote management disabled' };
    }
    const tag = provided ? this.tag(provided) : '';
    // A key verified moments ago is no guess: nothing is counted, only a ban still refuses it,
    // and it clears the attempts of its address as any success does.
    if (tag && this.remembered(tag)) {
      const standing = await this.bans.standing(address);
      if (standing.bannedForMs > 0) return bannedVerdict(standing.bannedForMs);
      if (standing.attempts > 0) await this.bans.reset(address);
      return OK;
    }
    const flightKey = `${address}\n${tag}`;
    let flight = this.flights.get(flightKey);
    if (!flight) {
      flight = this.attempt(address, provided).finally(() => this.flights.delete(flightKey));
      this.flights.set(flightKey, flight);
    }
    return flight;
  }

  /** One counted attempt: admitted by the ban store first, then the key is checked. */
  private async attempt(address: string, provided: string): Promise<ManagementAuthResult> {
    const gate = await this.bans.admit(address, MAX_FAILURES, BAN_MS);
    if (!gate.allowed) return bannedVerdict(gate.bannedForMs);
    if (provided && (await this.verifyKey(provided))) {
      await this.bans.reset(address);
      return OK;
    }
    await this.bans.failed(address, gate.attempt, MAX_FAILURES, BAN_MS);
    return {
      ok: false,
      status: 401,
      message: provided ? 'invalid management key' : 'missing management key',
    };
  }

  private secret(): string {
    return this.config.current['remote-management']['secret-key'];
  }

  private trustedSet(): AddressSet {
    const list = this.config.current['trusted-proxies'];
    if (this.trusted?.list !== list) this.trusted = { list, set: new AddressSet(list) };
    return this.trusted.set;
  }

  // Verified keys are remembered under a keyed HMAC: the key itself is never kept, and the tag
  // is useless without this process's random HMAC key.
  private tag(key: string): string {
    return createHmac('sha256', this.hmacKey).update(key).digest('base64');
  }

  private remembered(tag: string): boolean {
    const secret = this.secret();
    if (this.verifiedFor !== secret) {
      this.verified.clear();
      this.verifiedFor = secret;
    }
    const until = this.verified.get(tag);
    return until !== undefined && until > Date.now();
  }

  private remember(tag: string): void {
    this.remembered(tag); // drops what was verified against an earlier secret
    if (this.verified.size > 64) this.verified.clear();
    this.verified.set(tag, Date.now() + VERIFIED_TTL_MS);
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
