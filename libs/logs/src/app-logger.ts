import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { nestLogLevels, readRuntimeEnv } from '@app/config';
import { levelOf } from '@app/logs/process-log.entry';

/** `json`: one object per line, for machines. `pretty`: Nest's console lines, for people. */
export type LogFormat = 'json' | 'pretty';

/**
 * A structured log message: `logger.warn({ msg: 'upstream failed', request_id, route, model,
 * status }, 'Proxy')`. In JSON every field is a key of the line; in pretty output the fields
 * follow the message as `key=value`.
 */
export interface LogFields {
  msg: string;
  request_id?: string;
  route?: string;
  model?: string;
  status?: number;
  [field: string]: unknown;
}

/** Options of an `AppLogger`; `appLoggerOptions()` reads them from the environment. */
export interface AppLoggerOptions {
  /** This process's member name (`gateway-1`): the `process` field of every JSON line. */
  processName: string;
  format: LogFormat;
  /** Nest levels printed (from LOG_LEVEL). */
  logLevels: LogLevel[];
  /** ANSI colours (pretty output on a terminal only). */
  colors: boolean;
}

/**
 * Nest's start-up chatter: one line per module and per route (165 lines for the gateway), all
 * of it detail for whoever debugs the framework. It prints at debug level instead of info.
 */
const CHATTY_CONTEXTS: ReadonlySet<string> = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/**
 * With `abortOnError: false` Nest logs a failed start-up (stack trace and all) under this context
 * and then rethrows; the app's main reports the error itself, once and without the stack.
 */
const STARTUP_FAILURE_CONTEXT = 'ExceptionHandler';

type Stream = Pick<NodeJS.WriteStream, 'isTTY'>;

/** LOG_FORMAT when set (`json` or `pretty`), else JSON unless stdout is a terminal. */
export function logFormatOf(env: NodeJS.ProcessEnv = process.env, stdout: Stream = process.stdout) {
  const wanted = env.LOG_FORMAT?.trim().toLowerCase();
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  return stdout.isTTY ? 'pretty' : 'json';
}

/**
 * Colours only for people: pretty output to a terminal, unless NO_COLOR is set. FORCE_COLOR
 * (set by `npm start` for its children when its own stdout is a terminal) turns them on.
 */
export function colorsOf(
  format: LogFormat,
  env: NodeJS.ProcessEnv = process.env,
  stdout: Stream = process.stdout,
): boolean {
  if (format !== 'pretty' || env.NO_COLOR) return false;
  const force = env.FORCE_COLOR?.trim();
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return stdout.isTTY === true;
}

/** The logger settings of this process from LOG_FORMAT, LOG_LEVEL, NO_COLOR and FORCE_COLOR. */
export function appLoggerOptions(
  processName: string,
  env: NodeJS.ProcessEnv = process.env,
  stdout: Stream = process.stdout,
): AppLoggerOptions {
  const format = logFormatOf(env, stdout);
  return {
    processName,
    format,
    logLevels: nestLogLevels(readRuntimeEnv(env).logLevel),
    colors: colorsOf(format, env, stdout),
  };
}

/** True for a structured message (`{ msg, …fields }`). */
export function isLogFields(message: unknown): message is LogFields {
  return (
    typeof message === 'object' &&
    message !== null &&
    !Array.isArray(message) &&
    typeof (message as { msg?: unknown }).msg === 'string'
  );
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return '[unserialisable]';
    }
  }
  return String(value);
}

/** `msg key=value key=value`: how a structured message reads in pretty output and stored logs. */
export function logFieldsText(fields: LogFields): string {
  let text = fields.msg;
  for (const [k, v] of Object.entries(fields)) {
    if (k !== 'msg' && v !== undefined) text += ` ${k}=${fieldText(v)}`;
  }
  return text;
}

/**
 * The apps' console logger: Nest's `ConsoleLogger` with the output this project promises.
 * JSON lines (`time`, `level`, `process`, `context`, `msg`, plus the fields of a structured
 * message) when stdout is not a terminal or LOG_FORMAT=json, serialised by Nest's own JSON
 * writer; Nest's readable lines otherwise, coloured only on a terminal. Nest's per-route and
 * per-module start-up lines are demoted to debug.
 */
export class AppLogger extends ConsoleLogger {
  protected processName: string;
  protected readonly format: LogFormat;

  constructor(opts: AppLoggerOptions) {
    super({
      logLevels: opts.logLevels,
      json: opts.format === 'json',
      colors: opts.colors,
    });
    this.processName = opts.processName;
    this.format = opts.format;
  }

  /** Use another member name from now on (the gateway's includes its port from config.yaml). */
  rename(processName: string): void {
    this.processName = processName;
  }

  override error(message: unknown, ...optionalParams: unknown[]): void {
    if (optionalParams[optionalParams.length - 1] === STARTUP_FAILURE_CONTEXT) {
      if (!this.isLevelEnabled('debug')) return;
      const text = message instanceof Error ? (message.stack ?? message.message) : message;
      this.printMessages([text], STARTUP_FAILURE_CONTEXT, 'debug');
      return;
    }
    super.error(message, ...optionalParams);
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    let level = logLevel;
    if (level === 'log' && CHATTY_CONTEXTS.has(context)) {
      if (!this.isLevelEnabled('debug')) return;
      level = 'debug';
    }
    this.deliver(messages, context, level, writeStreamType, errorStack);
  }

  /** Print lines whose level is decided (subclasses add other sinks here). */
  protected deliver(
    messages: unknown[],
    context: string,
    level: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    // Pretty output shows a structured message as text; JSON keeps its fields (printAsJson).
    const out = this.format === 'pretty' ? messages.map(prettyText) : messages;
    super.printMessages(out, context, level, writeStreamType, errorStack);
  }

  protected override printAsJson(
    message: unknown,
    options: {
      context: string;
      logLevel: LogLevel;
      writeStreamType?: 'stdout' | 'stderr';
      errorStack?: unknown;
    },
  ): void {
    const line: Record<string, unknown> = {
      time: new Date().toISOString(),
      level: levelOf(options.logLevel),
      process: this.processName,
      context: options.context,
    };
    if (isLogFields(message)) Object.assign(line, message);
    else if (message instanceof Error) line.msg = message.message;
    else line.msg = logText(message);
    if (options.errorStack) line.stack = options.errorStack;
    // Flat lines (every request's access line) take JSON.stringify; anything nested goes through
    // Nest's serialiser: bigint, Map, Error and cycles handled, huge records truncated.
    const text = isFlat(line) ? JSON.stringify(line) : this.stringifyJsonLogObject(line);
    process[options.writeStreamType ?? 'stdout'].write(`${text}\n`);
  }

  /** Pretty output names the process where Nest prints `[Nest] <pid> -`. */
  protected override formatPid(): string {
    return `[${this.processName}] `;
  }
}

/** Only strings, finite numbers, booleans, null and undefined: JSON.stringify writes them as they are. */
function isFlat(line: Record<string, unknown>): boolean {
  for (const key in line) {
    const v = line[key];
    const t = typeof v;
    const plain = v === null || t === 'undefined' || t === 'string' || t === 'boolean';
    if (!plain && !(t === 'number' && Number.isFinite(v))) return false;
  }
  return true;
}

/** The text of any log message (structured ones as `msg key=value`). */
export function logText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  if (isLogFields(message)) return logFieldsText(message);
  return fieldText(message);
}

function prettyText(message: unknown): unknown {
  return isLogFields(message) ? logFieldsText(message) : message;
}
