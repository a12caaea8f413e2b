import type { ApiKeySection } from '@app/providers';

/**
 * The part of config.yaml routing reads, keys exactly as in YAML. Every field is optional and
 * read-only so the full `AppConfig` is assignable to it and the pure code can be tested with
 * small literals.
 */

/** `models: [{name, alias}]` on a provider entry. */
export interface ModelEntryConfig {
  readonly name: string;
  readonly alias?: string;
}

/** The items of an API-key list (`gemini-api-key`…). */
export interface ApiKeyEntryConfig {
  readonly 'api-key'?: string;
  readonly 'base-url'?: string;
  readonly 'proxy-url'?: string;
  readonly prefix?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly models?: readonly ModelEntryConfig[];
  readonly 'excluded-models'?: readonly string[];
  readonly priority?: number;
}

/** One key of an openai-compatibility entry. */
export interface CompatKeyEntryConfig {
  readonly 'api-key'?: string;
  readonly 'proxy-url'?: string;
}

/** openai-compatibility items. */
export interface OpenAICompatConfig {
  readonly name: string;
  readonly 'base-url'?: string;
  readonly prefix?: string;
  readonly 'api-key-entries'?: readonly CompatKeyEntryConfig[];
  readonly models?: readonly ModelEntryConfig[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly priority?: number;
  readonly disabled?: boolean;
}

/** `oauth-model-alias.<channel>[]`. */
export interface OAuthModelAliasConfig {
  readonly name: string;
  readonly alias: string;
  /** Keep the original name as well as the alias. */
  readonly fork?: boolean;
}

/** The API-key lists of config.yaml, one per API-key provider of the registry. */
export type ApiKeyListsConfig = {
  readonly [S in ApiKeySection]?: readonly ApiKeyEntryConfig[];
};

/** The config keys routing depends on. */
export interface RoutingConfig extends ApiKeyListsConfig {
  readonly 'auth-dir'?: string;
  readonly 'openai-compatibility'?: readonly OpenAICompatConfig[];
  readonly 'oauth-model-alias'?: Readonly<
    Record<string, readonly OAuthModelAliasConfig[] | undefined>
  >;
  readonly 'oauth-excluded-models'?: Readonly<Record<string, readonly string[] | undefined>>;
  readonly 'force-model-prefix'?: boolean;
  readonly routing?: { readonly strategy?: string };
  readonly 'disable-cooling'?: boolean;
}

/** Selection strategy within a priority bucket. */
export type RoutingStrategy = 'round-robin' | 'fill-first';

/** `routing.strategy`, defaulting to round-robin for anything unrecognised. */
export function routingStrategy(config: RoutingConfig): RoutingStrategy {
  const s = config.routing?.strategy?.trim().toLowerCase();
  // CLIProxyAPI accepts the short spellings too.
  if (s === 'fill-first' || s === 'fillfirst' || s === 'ff') return 'fill-first';
  return 'round-robin';
}
