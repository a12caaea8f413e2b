import { maskKey } from '@app/common';
import { API_KEY_SECTIONS, apiKeySectionProvider, type ApiKeySection } from '@app/providers';
import {
  Credential,
  configIndexSeed,
  type CredentialProvider,
} from '@app/routing/credential.types';
import type { ApiKeyEntryConfig, RoutingConfig } from '@app/routing/routing-config';

/** config.yaml sections holding one API key per item, and the provider each one feeds. */
const KEY_SECTIONS: readonly (readonly [ApiKeySection, CredentialProvider])[] =
  API_KEY_SECTIONS.map((section) => [section, apiKeySectionProvider(section)]);

const EDGE_SLASHES = /^\/+|\/+$/g;

function clean(value: string | undefined): string | undefined {
  const t = value?.trim();
  return t || undefined;
}

function cleanPrefix(value: string | undefined): string | undefined {
  return clean(value)?.replace(EDGE_SLASHES, '') || undefined;
}

function cleanList(list: readonly string[] | undefined): string[] | undefined {
  if (!list) return undefined;
  const out = list.map((s) => s.trim()).filter(Boolean);
  return out.length ? out : undefined;
}

function cleanModels(
  models: ApiKeyEntryConfig['models'],
): { name: string; alias?: string }[] | undefined {
  if (!models?.length) return undefined;
  const out: { name: string; alias?: string }[] = [];
  for (const m of models) {
    const name = m.name?.trim();
    if (!name) continue;
    const alias = m.alias?.trim();
    out.push(alias ? { name, alias } : { name });
  }
  return out.length ? out : undefined;
}

/**
 * The API-key credentials of config.yaml: one per `*-api-key` item with a non-empty key, one per
 * `openai-compatibility[].api-key-entries[]` item (or one keyless credential for an entry with
 * no keys, for local hosts that need none). Entries with `disabled: true` are skipped.
 */
export function credentialsFromConfig(config: RoutingConfig): Credential[] {
  const out: Credential[] = [];
  const seeds = new Map<string, number>();
  const uniqueSeed = (parts: Parameters<typeof configIndexSeed>[0]): string => {
    const base = configIndexSeed(parts);
    const n = seeds.get(base) ?? 0;
    seeds.set(base, n + 1);
    return n === 0 ? base : configIndexSeed({ ...parts, duplicate: n });
  };

  for (const [section, provider] of KEY_SECTIONS) {
    const entries = config[section] ?? [];
    entries.forEach((entry, i) => {
      const apiKey = clean(entry['api-key']);
      if (!apiKey) return;
      const baseUrl = clean(entry['base-url']);
      const proxyUrl = clean(entry['proxy-url']);
      out.push(
        new Credential({
          id: `config:${section}[${i}]`,
          indexSeed: uniqueSeed({ provider, baseUrl, proxyUrl, apiKey }),
          provider,
          channel: provider,
          kind: 'api-key',
          source: 'config',
          label: maskKey(apiKey),
          priority: entry.priority ?? 0,
          prefix: cleanPrefix(entry.prefix),
          baseUrl,
          proxyUrl,
          headers: entry.headers,
          models: cleanModels(entry.models),
          excludedModels: cleanList(entry['excluded-models']),
          secret: { apiKey },
        }),
      );
    });
  }

  (config['openai-compatibility'] ?? []).forEach((compat, i) => {
    const name = compat.name?.trim();
    if (!name || compat.disabled) return;
    const baseUrl = clean(compat['base-url']);
    const common = {
      provider: 'openai-compatibility' as const,
      compatName: name,
      channel: 'openai-compatibility',
      kind: 'api-key' as const,
      source: 'config' as const,
      priority: compat.priority ?? 0,
      prefix: cleanPrefix(compat.prefix),
      baseUrl,
      headers: compat.headers,
      // An empty model list is kept as []: the entry then serves nothing, never a catalog.
      models: cleanModels(compat.models) ?? [],
    };
    let created = 0;
    (compat['api-key-entries'] ?? []).forEach((entry, j) => {
      const apiKey = clean(entry['api-key']);
      if (!apiKey) return;
      const proxyUrl = clean(entry['proxy-url']);
      created++;
      out.push(
        new Credential({
          ...common,
          id: `config:openai-compatibility[${i}]:${name}[${j}]`,
          indexSeed: uniqueSeed({
            provider: 'openai-compatibility',
            compatName: name,
            baseUrl,
            proxyUrl,
            apiKey,
          }),
          label: `${name} ${maskKey(apiKey)}`,
          proxyUrl,
          secret: { apiKey },
        }),
      );
    });
    if (created === 0) {
      out.push(
        new Credential({
          ...common,
          id: `config:openai-compatibility[${i}]:${name}`,
          indexSeed: uniqueSeed({ provider: 'openai-compatibility', compatName: name, baseUrl }),
          label: name,
          secret: {},
        }),
      );
    }
  });

  return out;
}
