import { Injectable } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { ConfigService } from '@app/config';

/** Providers the gateway can currently serve, for /status. */
export interface ProviderSummary {
  count: number;
  active: string[];
}

/** API-key providers configured in config.yaml (entries with a non-empty key). */
export function configuredProviders(config: Readonly<AppConfig>): string[] {
  const active = new Set<string>();
  const hasKey = (list: readonly { 'api-key'?: string }[] | undefined) =>
    (list ?? []).some((e) => !!e['api-key']);
  if (hasKey(config['gemini-api-key'])) active.add('gemini');
  if (hasKey(config['claude-api-key'])) active.add('claude');
  if (hasKey(config['codex-api-key'])) active.add('codex');
  if (hasKey(config['vertex-api-key'])) active.add('vertex');
  for (const compat of config['openai-compatibility'] ?? []) {
    if ((compat['api-key-entries'] ?? []).some((e) => !!e['api-key'])) active.add(compat.name);
  }
  return [...active].sort();
}

/** Summarises the providers with at least one usable credential. */
@Injectable()
export class ProviderSummaryService {
  constructor(private readonly config: ConfigService) {}

  summary(): ProviderSummary {
    const active = configuredProviders(this.config.current);
    return { count: active.length, active };
  }
}
