import { Inject, Injectable, type LogLevel } from '@nestjs/common';
import { PROCESS_NAME } from '@app/storage';
import { AppLogger, appLoggerOptions, logText } from '@app/logs/app-logger';
import { levelOf } from '@app/logs/process-log.entry';
import { ProcessLogStore } from '@app/logs/process-log.store';
import { maskSecrets } from '@app/logs/secret-mask';

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message with secrets masked: the same value when there were none. */
function masked(message: unknown): unknown {
  if (typeof message === 'string') return maskSecrets(message);
  if (!isPlainRecord(message) || message instanceof Error) {
    if (message === null || typeof message !== 'object') return message;
    const text = logText(message);
    const safe = maskSecrets(text);
    return safe === text ? message : safe;
  }
  // Structured messages keep their fields; each string field is masked on its own.
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(message)) {
    const safe = typeof v === 'string' ? maskSecrets(v) : isPlainRecord(v) ? masked(v) : v;
    if (safe !== v) (copy ??= { ...message })[k] = safe;
  }
  return copy ?? message;
}

/**
 * The apps' Nest logger (`app.useLogger(app.get(ProcessLogger))`): prints as `AppLogger` does
 * (JSON lines or Nest's readable lines) and also appends every printed line to the cluster's
 * process-log stream so `/api/v1/logs` and `/v0/management/logs` see every member's output.
 * Secrets are masked before either: stdout ends up in `docker logs` and journald, as readable
 * as the shared log.
 */
@Injectable()
export class ProcessLogger extends AppLogger {
  constructor(
    private readonly store: ProcessLogStore,
    @Inject(PROCESS_NAME) processName = '',
  ) {
    super(appLoggerOptions(processName));
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(stack ? maskSecrets(stack) : stack);
  }

  protected override deliver(
    messages: unknown[],
    context: string,
    level: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    const safe = messages.map(masked);
    const stack = typeof errorStack === 'string' ? maskSecrets(errorStack) : errorStack;
    super.deliver(safe, context, level, writeStreamType, stack);
    const stored = levelOf(level);
    for (const m of safe) {
      const text = logText(m);
      this.store.append(
        stored,
        context,
        typeof stack === 'string' && stack ? `${text}\n${stack}` : text,
      );
    }
  }
}
