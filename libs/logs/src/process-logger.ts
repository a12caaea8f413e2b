import {
  Inject,
  Injectable,
  Optional,
  type LogLevel,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService, nestLogLevels } from '@app/config';
import { PROCESS_NAME } from '@app/storage';
import { AppLogger, appLoggerOptions, isLogFields, logText } from '@app/logs/app-logger';
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
 * (JSON lines or Nest's readable lines) and also appends every printed line (a structured
 * message's `msg`) to the cluster's process-log stream so `/api/v1/logs` and `/v0/management/logs` see every member's output.
 * Secrets are masked before either: stdout ends up in `docker logs` and journald, as readable
 * as the shared log. Without LOG_LEVEL, config.yaml's `debug: true` turns debug lines on (and
 * off again on reload), as it does in CLIProxyAPI.
 */
@Injectable()
export class ProcessLogger extends AppLogger implements OnModuleInit, OnModuleDestroy {
  private offConfig: (() => void) | undefined;

  constructor(
    private readonly store: ProcessLogStore,
    @Inject(PROCESS_NAME) processName = '',
    @Optional() private readonly config?: ConfigService,
  ) {
    super(appLoggerOptions(processName));
  }

  onModuleInit(): void {
    const config = this.config;
    if (!config || process.env.LOG_LEVEL?.trim()) return;
    const apply = (debug: boolean) => this.setLogLevels(nestLogLevels(debug ? 'debug' : 'info'));
    apply(config.current.debug);
    this.offConfig = config.onChange((next, prev) => {
      if (next.debug !== prev.debug) apply(next.debug);
    });
  }

  onModuleDestroy(): void {
    this.offConfig?.();
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
      // A structured message is stored as its text: its fields are for JSON stdout.
      const text = isLogFields(m) ? m.msg : logText(m);
      this.store.append(
        stored,
        context,
        typeof stack === 'string' && stack ? `${text}\n${stack}` : text,
      );
    }
  }
}
