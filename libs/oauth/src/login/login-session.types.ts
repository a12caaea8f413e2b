import type { LoginProvider } from '@app/oauth/login/login-provider';

/** How long a login may take from the auth-url call to the callback (OAuth sessions are keys with this TTL in Redis). */
export const LOGIN_SESSION_TTL_MS = 10 * 60_000;

/** A finished session's status stays readable at least this long for pollers. */
export const FINISHED_SESSION_KEEP_MS = 60_000;

/** `wait` until a callback claims the session; `exchanging` while one is being completed. */
export type LoginStatus = 'wait' | 'exchanging' | 'ok' | 'error';

/** A device-flow login's polling state, shared so any process can carry on polling. */
export interface DeviceLoginState {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  /** Poll period; grows on `slow_down`. */
  intervalMs: number;
  /** The device code's expiry, epoch ms. */
  expiresAt: number;
  /** Kimi binds the token to the device id sent with every call. */
  deviceId?: string;
}

/** Everything needed to finish a login, whichever process the callback lands on. */
export interface LoginSession {
  state: string;
  provider: LoginProvider;
  createdAt: number;
  /** The redirect URI sent in the authorize URL (the exchange must repeat it). */
  redirectUri?: string;
  /** PKCE verifier (Claude, Codex, Antigravity, Qwen). */
  codeVerifier?: string;
  /** Gemini CLI `?project_id=` (a project, `ALL`, or absent for discovery). */
  projectId?: string;
  device?: DeviceLoginState;
}

/** A session as stored: the data plus where the login stands. */
export interface LoginSessionRecord {
  session: LoginSession;
  status: LoginStatus;
  /** Why the login failed (status `error`). */
  error?: string;
  /** The auth file written (status `ok`). */
  fileName?: string;
}

/** The end of a login: the file written, or why none was. */
export type LoginOutcome = { status: 'ok'; fileName: string } | { status: 'error'; error: string };

/**
 * Taking a session for completion. Only one caller ever gets `claimed: true` for a state; the
 * others see the record as it stands (`exchanging`, `ok`, `error`) or nothing (unknown/expired).
 */
export type ClaimResult =
  | { claimed: true; session: LoginSession }
  | { claimed: false; record?: Omit<LoginSessionRecord, 'session'> };

/**
 * Where login sessions live: Redis for the gateway (a callback may land on any replica), memory
 * for a CLI run with no Redis. Both give the same guarantees within their reach.
 */
export interface LoginSessionStore {
  /** Store a new session in status `wait`, expiring after `ttlMs`. */
  create(session: LoginSession, ttlMs: number): Promise<void>;
  get(state: string): Promise<LoginSessionRecord | undefined>;
  /** Atomically move `wait` → `exchanging` (see ClaimResult). */
  claim(state: string): Promise<ClaimResult>;
  /** Record the outcome; the status stays readable for at least FINISHED_SESSION_KEEP_MS. */
  finish(state: string, outcome: LoginOutcome): Promise<void>;
  /** Save a device session's changed polling state (slow_down). */
  updateDevice(state: string, device: DeviceLoginState): Promise<void>;
  /** States of device logins that are not finished and whose device code has not expired. */
  pendingDeviceStates(): Promise<string[]>;
  /** Take or renew the right to poll a device login; false when another process holds it. */
  leasePoll(state: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Give the poll lease up (only if `owner` holds it). */
  releasePoll(state: string, owner: string): Promise<void>;
}
