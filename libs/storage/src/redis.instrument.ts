import { performance } from 'node:perf_hooks';
import type { Command, Redis } from 'ioredis';
import type { RedisClient } from '@app/storage/redis.connection';

/** Why a Redis command failed, as a bounded metric label. */
export type RedisErrorKind = 'timeout' | 'unavailable' | 'reply' | 'other';

/** What `instrumentCommands` reports. Called synchronously: keep them to a counter bump. */
export interface CommandHooks {
  /** Every failed command. */
  onError(kind: RedisErrorKind): void;
  /** One command in `sampleEvery`, with its round-trip time (success or failure). */
  onSample(command: string, seconds: number): void;
}

/** Options of `instrumentCommands`. */
export interface InstrumentOptions {
  /** Time one command in this many (1 = every command). */
  sampleEvery?: number;
}

/** One command in 16 is timed: enough for percentiles, and the rest pay only the error hook. */
export const DEFAULT_SAMPLE_EVERY = 16;

// ioredis's own messages for a connection that cannot take the command.
const UNAVAILABLE =
  /stream isn't writeable|connection is closed|connection in subscriber mode|max retries per request|econnre|epipe|socket closed/i;

/** Map a command error to a bounded label (the message itself may name keys). */
export function redisErrorKind(err: unknown): RedisErrorKind {
  if (!(err instanceof Error)) return 'other';
  if (err.name === 'ReplyError') return 'reply';
  if (err.message === 'Command timed out') return 'timeout';
  if (err.name === 'MaxRetriesPerRequestError' || UNAVAILABLE.test(err.message)) {
    return 'unavailable';
  }
  return 'other';
}

/**
 * True for ioredis errors meaning the connection is down or a command timed out (the API
 * error filters answer 503 for them instead of 500).
 */
export function isRedisFailure(e: unknown): boolean {
  const msg = (e as Error | undefined)?.message ?? '';
  return (
    msg.includes("Stream isn't writeable") ||
    msg.includes('Connection is closed') ||
    msg.includes('Command timed out') ||
    msg.includes('enableOfflineQueue')
  );
}

const SEEN = Symbol('switchboard.instrumented');

type SeenCommand = Command & { [SEEN]?: true };
type SendCommand = Redis['sendCommand'];

/**
 * Count failures of every command sent on `conn` and time a sample of them, by wrapping the
 * command's own resolve/reject callbacks as it passes `sendCommand`. No promise is chained (an
 * unhandled rejection stays unhandled) and nothing runs per reply beyond the wrapper. Commands
 * resent after a reconnect are wrapped once; the connection's own handshake is not counted. Returns a function that removes the wrapper and
 * `sent()`, the number of commands seen so far.
 */
export function instrumentCommands(
  conn: RedisClient,
  hooks: CommandHooks,
  options: InstrumentOptions = {},
): { sent: () => number; remove: () => void } {
  const every = Math.max(1, Math.floor(options.sampleEvery ?? DEFAULT_SAMPLE_EVERY));
  // Called with the connection as `this` (`original.call(this, …)`), as ioredis itself does.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = conn.sendCommand;
  let sent = 0;
  let untilSample = every;

  // A Cluster's sendCommand takes a third argument (the node); pass every argument on.
  const wrapped: SendCommand = function (this: Redis, command, ...rest) {
    const c = command as SeenCommand;
    // Handshake commands (CLIENT SETNAME/SETINFO, ready check) run while the status is
    // `connect`; an old Redis refuses SETINFO on every connect, which is no one's error.
    if (c[SEEN] !== true && this.status !== 'connect') {
      c[SEEN] = true;
      sent++;
      if (--untilSample === 0) {
        untilSample = every;
        timeCommand(c, hooks);
      } else {
        countFailure(c, hooks);
      }
    }
    return (original as (...args: unknown[]) => unknown).call(this, command, ...rest);
  };
  conn.sendCommand = wrapped;
  return {
    sent: () => sent,
    remove: () => {
      if (conn.sendCommand === wrapped) conn.sendCommand = original;
    },
  };
}

function countFailure(c: Command, hooks: CommandHooks): void {
  const reject = c.reject;
  let done = false;
  c.reject = (err: Error) => {
    // A timed-out command is rejected again when its connection later closes.
    if (!done) {
      done = true;
      hooks.onError(redisErrorKind(err));
    }
    reject(err);
  };
}

function timeCommand(c: Command, hooks: CommandHooks): void {
  const { resolve, reject } = c;
  const started = performance.now();
  let done = false;
  const finish = () => {
    if (done) return false;
    done = true;
    hooks.onSample(c.name, (performance.now() - started) / 1000);
    return true;
  };
  c.resolve = (value: unknown) => {
    finish();
    resolve(value);
  };
  c.reject = (err: Error) => {
    if (finish()) hooks.onError(redisErrorKind(err));
    reject(err);
  };
}
