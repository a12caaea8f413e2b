import type { LogLevel } from '@nestjs/common';
import { numAt, readEntry, strAt } from '@app/logs/stream-entry';

/** Levels as stored and shown (Nest's `log` is shown as `info`, as CLIProxyAPI does). */
export type ProcessLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'verbose';

/** One line of a process log, from any member of the cluster. */
export interface ProcessLogEntry {
  /** Redis stream id (`<ms>-<seq>`), unique and ordered across the cluster. */
  id: string;
  /** When the line was logged (ms since epoch, the logging process's clock). */
  ts: number;
  /** Member name (`gateway-1`, `worker-1`). */
  process: string;
  level: ProcessLogLevel;
  /** Nest logger context (`Proxy`, `Config`…), '' when none. */
  context: string;
  /** The message, secrets already masked. */
  message: string;
}

/** Longest message stored per line; the rest is cut (a stack trace or a body in a log line). */
export const MAX_MESSAGE_CHARS = 8192;

/** Nest level → stored level. */
export function levelOf(level: LogLevel): ProcessLogLevel {
  return level === 'log' ? 'info' : level;
}

/** Entry encoding version (first element of the JSON array). */
const V1 = 1;

/** The stream entry of a line: a compact JSON array, since every line of every process is stored. */
export function encodeProcessLog(
  ts: number,
  process: string,
  level: ProcessLogLevel,
  context: string,
  message: string,
): string {
  const m =
    message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}… (cut)` : message;
  return JSON.stringify([V1, ts, process, level, context, m]);
}

const LEVELS: ReadonlySet<string> = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'verbose']);

/** A stream entry back into a log entry (malformed parts defaulted, never thrown). */
export function decodeProcessLog(id: string, fields: readonly string[]): ProcessLogEntry {
  const a = readEntry(fields);
  const level = strAt(a[3]);
  return {
    id,
    ts: numAt(a[1]) || Number(id.slice(0, id.indexOf('-'))) || 0,
    process: strAt(a[2]),
    level: LEVELS.has(level) ? (level as ProcessLogLevel) : 'info',
    context: strAt(a[4]),
    message: strAt(a[5]),
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2025-01-02 15:04:05` in local time (CLIProxyAPI's log timestamp, which its panel parses). */
export function formatLogTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Output stream of a line as a supervisor sees it: errors and warnings go to stderr. */
export type LogStream = 'stdout' | 'stderr';

/** Nest's console logger writes errors and warnings to stderr, the rest to stdout. */
export function streamOf(level: ProcessLogLevel): LogStream {
  return level === 'error' || level === 'warn' || level === 'fatal' ? 'stderr' : 'stdout';
}

/**
 * The line as the process wrote it, without the time and member name the cluster API shows
 * beside it: `[Proxy] message` (just the message when it has no context). Patterns match this.
 */
export function logLineText(e: ProcessLogEntry): string {
  return e.context ? `[${e.context}] ${e.message}` : e.message;
}

/** The text form of a line: `[2025-01-02 15:04:05] [info] [gateway-1] [Proxy] message`. */
export function formatProcessLog(e: ProcessLogEntry): string {
  const ctx = e.context ? ` [${e.context}]` : '';
  return `[${formatLogTime(e.ts)}] [${e.level}] [${e.process}]${ctx} ${e.message}`;
}

/**
 * A line as the cluster API shows it: the supervisor fields (`timestamp`, `process`, `stream`,
 * `line`) first, then what the shared log knows beyond them.
 */
export interface ProcessLogView {
  /** ISO-8601 time the line was logged. */
  timestamp: string;
  /** Member name. */
  process: string;
  stream: LogStream;
  /** `[Context] message`. */
  line: string;
  /** Redis stream id (`<ms>-<seq>`). */
  id: string;
  level: ProcessLogLevel;
  context: string;
  message: string;
}

/** The cluster API's view of a stored line. */
export function processLogView(e: ProcessLogEntry): ProcessLogView {
  return {
    timestamp: new Date(e.ts).toISOString(),
    process: e.process,
    stream: streamOf(e.level),
    line: logLineText(e),
    id: e.id,
    level: e.level,
    context: e.context,
    message: e.message,
  };
}
