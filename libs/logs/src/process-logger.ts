import { ConsoleLogger, Injectable, type LogLevel } from '@nestjs/common';
import { levelOf } from '@app/logs/process-log.entry';
import { ProcessLogStore } from '@app/logs/process-log.store';
import { maskSecrets } from '@app/logs/secret-mask';

/** The levels the apps printed before this logger existed. */
export const DEFAULT_PROCESS_LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log'];

function textOf(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  if (typeof message === 'object' && message !== null) {
    try {
      return JSON.stringify(message);
    } catch {
      return '[unserialisable object]';
    }
  }
  return String(message);
}

/** A message with secrets masked: the same value when there were none (objects keep Nest's look). */
function masked(message: unknown): unknown {
  if (typeof message === 'string') return maskSecrets(message);
  if (message === null || typeof message !== 'object') return message;
  const text = textOf(message);
  const safe = maskSecrets(text);
  return safe === text ? message : safe;
}

/**
 * The apps' Nest logger (`app.useLogger(app.get(ProcessLogger))`): prints exactly as Nest's
 * console logger does, and also appends every printed line to the cluster's process-log stream
 * so `/api/v1/logs` and `/v0/management/logs` see every member's output. Secrets are masked
 * before either: stdout ends up in `docker logs` and journald, as readable as the shared log.
 */
@Injectable()
export class ProcessLogger extends ConsoleLogger {
  constructor(private readonly store: ProcessLogStore) {
    super({ logLevels: DEFAULT_PROCESS_LOG_LEVELS });
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(stack ? maskSecrets(stack) : stack);
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    const safe = messages.map(masked);
    const stack = typeof errorStack === 'string' ? maskSecrets(errorStack) : errorStack;
    super.printMessages(safe, context, logLevel, writeStreamType, stack);
    const level = levelOf(logLevel);
    for (const m of safe) {
      const text = textOf(m);
      this.store.append(
        level,
        context,
        typeof stack === 'string' && stack ? `${text}\n${stack}` : text,
      );
    }
  }
}
