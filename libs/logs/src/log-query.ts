import { RE2JS } from 're2js';
import { logQueryError } from '@app/common';
import { intParam, stringParam, type QueryParams } from '@app/logs/log-query.errors';
import { logLineText, type ProcessLogEntry } from '@app/logs/process-log.entry';

/** Lines returned when the caller does not say. */
export const DEFAULT_LOG_LINES = 100;
/** Most lines one call returns. */
export const MAX_LOG_LINES = 10_000;
/** Longest `pattern` accepted. */
export const MAX_PATTERN_CHARS = 256;
/** Largest `bytes` honoured (64 MiB; more is as good as no limit). */
const MAX_BYTES = 64 * 1024 * 1024;

/** Which lines to keep: every given condition must hold. */
export interface LogFilter {
  /** Member names, exact (`process=a,b`: any of them). */
  processes?: ReadonlySet<string>;
  /** Substring of the line (`pattern` with `regex` false or absent). */
  pattern?: string;
  /** RE2 regular expression (linear time) tried on the line (`pattern` with `regex=true`). */
  regex?: RE2JS;
}

/** A `/logs` query: the filter plus how much to return. */
export interface LogQuery extends LogFilter {
  lines: number;
  /** Total bytes of the returned text lines (newline included); whichever limit hits first. */
  bytes?: number;
}

/**
 * Compile a user regex with RE2 semantics: matching time is linear in the input, so a pattern
 * such as `(a+)+$` cannot stall the process. Too long or invalid → INVALID_PATTERN.
 */
export function compileUserRegex(source: string): RE2JS {
  if (source.length > MAX_PATTERN_CHARS) {
    throw logQueryError(
      'INVALID_PATTERN',
      `pattern is ${source.length} characters long; the limit is ${MAX_PATTERN_CHARS}`,
    );
  }
  try {
    return RE2JS.compile(source);
  } catch (err) {
    throw logQueryError(
      'INVALID_PATTERN',
      `invalid regex (RE2 syntax: no look-around or back-references): ${(err as Error).message}`,
    );
  }
}

/**
 * `regex` is a flag, as in the supervisor API: `true`/`1` treats `pattern` as a regular
 * expression, `false`/`0`/absent as a plain substring. Anything else is refused (older clients
 * sent the expression itself in `regex`; the message says what to send instead).
 */
function regexFlag(q: QueryParams): boolean {
  const v = stringParam(q, 'regex')?.trim().toLowerCase();
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw logQueryError(
    'INVALID_PARAMETER',
    `regex must be true or false (send the expression in pattern: pattern=<regex>&regex=true), got "${(stringParam(q, 'regex') ?? '').slice(0, 40)}"`,
  );
}

/** `process=a,b`: the member names (blank items ignored); undefined when none is given. */
function processNames(q: QueryParams): ReadonlySet<string> | undefined {
  const names = (stringParam(q, 'process') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return names.length > 0 ? new Set(names) : undefined;
}

/** Read `process`, `pattern` and `regex` from query parameters. */
export function parseLogFilter(q: QueryParams): LogFilter {
  const pattern = stringParam(q, 'pattern');
  const asRegex = regexFlag(q);
  if (pattern !== undefined && pattern.length > MAX_PATTERN_CHARS) {
    throw logQueryError(
      'INVALID_PATTERN',
      `pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_CHARS}`,
    );
  }
  const filter: LogFilter = { processes: processNames(q) };
  if (pattern === undefined) return filter;
  if (asRegex) filter.regex = compileUserRegex(pattern);
  else filter.pattern = pattern;
  return filter;
}

/** Read a whole `/logs` query: filter, `lines` (default 100, max 10,000) and `bytes`. */
export function parseLogQuery(q: QueryParams): LogQuery {
  return {
    ...parseLogFilter(q),
    lines: intParam(q, 'lines', 1, MAX_LOG_LINES) ?? DEFAULT_LOG_LINES,
    bytes: intParam(q, 'bytes', 1, MAX_BYTES),
  };
}

/** True when a line passes the filter. */
export function matchesLogFilter(e: ProcessLogEntry, f: LogFilter): boolean {
  if (f.processes !== undefined && !f.processes.has(e.process)) return false;
  if (f.pattern === undefined && f.regex === undefined) return true;
  const text = logLineText(e);
  if (f.pattern !== undefined && !text.includes(f.pattern)) return false;
  if (f.regex !== undefined && !f.regex.test(text)) return false;
  return true;
}

/** A returned line: the stored fields plus its text form. */
export interface LogLine extends ProcessLogEntry {
  line: string;
}

/**
 * Collects the LAST lines matching a query from entries offered newest first, stopping at
 * `lines` or `bytes`, whichever comes first. `offer` returns false once nothing more can be taken.
 */
export class LogTail {
  private readonly picked: LogLine[] = [];
  private bytesUsed = 0;
  private full = false;
  /** Entries looked at. */
  scanned = 0;

  constructor(private readonly query: LogQuery) {}

  offer(e: ProcessLogEntry): boolean {
    if (this.full) return false;
    this.scanned++;
    if (!matchesLogFilter(e, this.query)) return true;
    const line = logLineText(e);
    const size = Buffer.byteLength(line) + 1;
    if (this.query.bytes !== undefined && this.bytesUsed + size > this.query.bytes) {
      this.full = true;
      return false;
    }
    this.bytesUsed += size;
    this.picked.push({ ...e, line });
    if (this.picked.length >= this.query.lines) this.full = true;
    return !this.full;
  }

  /** True when a limit was reached (older matching lines may exist). */
  get truncated(): boolean {
    return this.full;
  }

  /**
   * The picked lines, oldest first by the time they were logged (members write in batches, so
   * the shared stream's order can put one member's line before another's earlier one).
   */
  lines(): LogLine[] {
    return this.picked
      .slice()
      .reverse()
      .sort((a, b) => a.ts - b.ts);
  }

  /** Bytes of the picked lines' text (newlines included). */
  get bytes(): number {
    return this.bytesUsed;
  }
}
