import { ConsoleLogger, Injectable, type LogLevel } from '@nestjs/common';
import { levelOf } from '@app/logs/process-log.entry';
import { ProcessLogStore } from '@app/logs/process-log.store';

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

/**
 * The apps' Nest logger (`app.useLogger(app.get(ProcessLogger))`): prints exactly as Nest's
 * console logger does, and also appends every printed line to the cluster's process-log stream
 * so `/api/v1/logs` and `/v0/management/logs` see every member's output.
 */
@Injectable()
export class ProcessLogger extends ConsoleLogger {
  constructor(private readonly store: ProcessLogStore) {
    super({ logLevels: DEFAULT_PROCESS_LOG_LEVELS });
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, writeStreamType, errorStack);
    const level = levelOf(logLevel);
    for (const m of messages) {
      const text = textOf(m);
      this.store.append(
        level,
        context,
        typeof errorStack === 'string' && errorStack ? `${text}\n${errorStack}` : text,
      );
    }
  }
}
