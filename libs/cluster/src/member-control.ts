import { CONFIG_EXIT_CODE } from '@app/common';
import type { HealthReport, MemberKind } from '@app/cluster/member.types';

/**
 * What a member lets the cluster do to it. Each app provides one: the gateway pauses its proxy
 * routes (they answer 503 while management and the cluster API stay up); the worker pauses its
 * queues. Health comes from the member's own checks.
 */
export abstract class MemberControl {
  abstract readonly kind: MemberKind;
  /** Stop taking work; the process keeps running. */
  abstract pause(): Promise<void>;
  /** Take work again. */
  abstract resume(): Promise<void>;
  /** True while paused by `stop`. */
  abstract get paused(): boolean;
  /** True once the process has begun shutting down (draining). */
  abstract get draining(): boolean;
  /** Run the member's own checks (bounded time; never throws). */
  abstract health(): Promise<HealthReport>;
}

/**
 * Injection token (optional) for how many client sessions (open streams, WebSockets) this member
 * holds; reported in every heartbeat so a cluster-wide count is one read of the member hashes.
 */
export const MEMBER_SESSIONS = 'SB_MEMBER_SESSIONS';

/** Counts this member's open client sessions (never throws). */
export type SessionCounter = () => number | Promise<number>;

/** Injection token for how a member leaves: `(exitCode) => void` (tests replace it). */
export const MEMBER_EXIT = 'SB_MEMBER_EXIT';

/** How a member leaves the process after a cluster command. */
export type MemberExit = (code: number) => void;

/** Exit code after `restart`: non-zero, so `restart: on-failure` policies bring it back. */
export const RESTART_EXIT_CODE = 75;

/**
 * Exit code of a process that must not be restarted as it is (EX_CONFIG: another live member
 * already has its name); `npm start`'s launcher leaves it down.
 */
export const REFUSED_EXIT_CODE = CONFIG_EXIT_CODE;

/**
 * Leave through the process's own graceful shutdown (SIGTERM handler: drain, close, exit 0) and
 * make a clean exit end with `code` instead (a failed drain keeps its own non-zero code).
 */
export function exitGracefully(code: number): void {
  process.once('exit', () => {
    if (!process.exitCode) process.exitCode = code;
  });
  process.kill(process.pid, 'SIGTERM');
}
