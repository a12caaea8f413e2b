import type {
  ApiKeySpec,
  ProviderDescriptor,
  AuthFileSpec,
  OAuthSpec,
  QuotaSpec,
  WireSpec,
} from '@app/providers/provider.types';
import { aistudio } from '@app/providers/descriptors/aistudio.provider';
import { antigravity } from '@app/providers/descriptors/antigravity.provider';
import { claude } from '@app/providers/descriptors/claude.provider';
import { codex } from '@app/providers/descriptors/codex.provider';
import { gemini } from '@app/providers/descriptors/gemini.provider';
import { geminiCli } from '@app/providers/descriptors/gemini-cli.provider';
import { iflow } from '@app/providers/descriptors/iflow.provider';
import { kimi } from '@app/providers/descriptors/kimi.provider';
import { openaiCompatibility } from '@app/providers/descriptors/openai-compatibility.provider';
import { qwen } from '@app/providers/descriptors/qwen.provider';
import { vertex } from '@app/providers/descriptors/vertex.provider';

/**
 * Every provider, in the order lists and messages show them. Adding a provider is adding its
 * descriptor here; every id list, union and per-provider table below and in the other libs is
 * derived from this tuple (docs/architecture.md, "How to add a provider").
 */
export const PROVIDER_DESCRIPTORS = [
  gemini,
  vertex,
  claude,
  codex,
  openaiCompatibility,
  geminiCli,
  antigravity,
  qwen,
  kimi,
  iflow,
  aistudio,
] as const;

/** One registry row, with its literal types. */
export type Descriptor = (typeof PROVIDER_DESCRIPTORS)[number];
type With<K extends string, T> = Extract<Descriptor, { readonly [P in K]: T }>;

/** The provider a credential belongs to: every registry id. */
export type CredentialProvider = Descriptor['id'];
/** A provider the gateway calls over HTTP (every one but those reached through a relay). */
export type ProviderId = With<'wire', WireSpec>['id'];
/** A provider with OAuth logins and refreshes. */
export type OAuthProviderId = With<'oauth', OAuthSpec>['id'];
/** A login flow's name (`anthropic`, `gemini`…), as sessions and `oauth-callback` spell it. */
export type LoginProvider = With<'oauth', OAuthSpec>['oauth']['login']['id'];
/** A config.yaml list of API keys (`gemini-api-key`…). */
export type ApiKeySection = With<'apiKeys', ApiKeySpec>['apiKeys']['section'];
/** A provider whose accounts live in auth files. */
export type AuthFileProvider = With<'authFile', AuthFileSpec>['id'];

/** The registry row of a provider id. */
export type DescriptorOf<I extends CredentialProvider> = Extract<Descriptor, { id: I }>;

// Looked up by plain strings (names from URLs, files and config), so typed as the wide shape.
const BY_ID = new Map<string, ProviderDescriptor>(PROVIDER_DESCRIPTORS.map((d) => [d.id, d]));

/** A filter keeping the descriptors that have an optional part, typed as such. */
function has<K extends 'wire' | 'oauth' | 'apiKeys' | 'authFile' | 'quota'>(key: K) {
  return <D extends Descriptor>(d: D): d is Extract<D, { readonly [P in K]: unknown }> =>
    (d as ProviderDescriptor)[key] !== undefined;
}

/** Descriptors called over HTTP. */
export const WIRE_DESCRIPTORS = PROVIDER_DESCRIPTORS.filter(has('wire'));
/** Descriptors with OAuth. */
export const OAUTH_DESCRIPTORS = PROVIDER_DESCRIPTORS.filter(has('oauth'));

/** Every credential provider id. */
export const CREDENTIAL_PROVIDERS: readonly CredentialProvider[] = PROVIDER_DESCRIPTORS.map(
  (d) => d.id,
);
/** Every provider called over HTTP (also the keys `provider-base-urls` accepts). */
export const PROVIDER_IDS: readonly ProviderId[] = WIRE_DESCRIPTORS.map((d) => d.id);
/** Every OAuth provider (also the keys `oauth-endpoints` accepts). */
export const OAUTH_PROVIDERS: readonly OAuthProviderId[] = OAUTH_DESCRIPTORS.map((d) => d.id);
/** Every config.yaml API-key list. */
export const API_KEY_SECTIONS: readonly ApiKeySection[] = PROVIDER_DESCRIPTORS.filter(
  has('apiKeys'),
).map((d) => d.apiKeys.section);

/** The registry row of a provider id. */
export function descriptorOf<I extends CredentialProvider>(id: I): DescriptorOf<I> {
  return BY_ID.get(id) as DescriptorOf<I>;
}

/** True when `value` is a registry id. */
export function isCredentialProvider(value: string): value is CredentialProvider {
  return BY_ID.has(value);
}

/** True when `value` names a provider called over HTTP. */
export function isProviderId(value: string): value is ProviderId {
  return BY_ID.get(value)?.wire !== undefined;
}

/** True when `value` names an OAuth provider. */
export function isOAuthProvider(value: string): value is OAuthProviderId {
  return BY_ID.get(value)?.oauth !== undefined;
}

/** How a provider is called over HTTP. */
export function wireOf(id: ProviderId): WireSpec {
  return descriptorOf(id).wire;
}

/** The OAuth part of an OAuth provider. */
export function oauthOf(id: OAuthProviderId): OAuthSpec {
  return descriptorOf(id).oauth;
}

/**
 * Names `/api/provider/<name>/…` accepts, lower-case, → provider id: each HTTP provider's id and
 * aliases (`anthropic` → claude, `google` → gemini, `openai` → openai-compatibility). Other names
 * (relayed providers, openai-compatibility entry names) are used as given.
 */
export const PROVIDER_ALIASES: Readonly<Record<string, ProviderId>> = Object.fromEntries(
  WIRE_DESCRIPTORS.flatMap((d) => [d.id, ...d.aliases].map((name) => [name, d.id] as const)),
);

const FILE_TYPES = new Map<string, AuthFileProvider>(
  PROVIDER_DESCRIPTORS.filter(has('authFile')).flatMap((d) =>
    d.authFile.types.map((t) => [t, d.id] as const),
  ),
);

/** The provider an auth file's `type` selects (case-insensitive), or undefined. */
export function authFileProviderOf(type: string): AuthFileProvider | undefined {
  return FILE_TYPES.get(type.toLowerCase());
}

/** The provider whose API keys a config.yaml list holds. */
export function apiKeySectionProvider(section: ApiKeySection): CredentialProvider {
  return PROVIDER_DESCRIPTORS.filter(has('apiKeys')).find((d) => d.apiKeys.section === section)!.id;
}

// ---- quota routes ------------------------------------------------------------------------------

/**
 * Quota routes of CLIProxyAPI providers this gateway has no accounts for, by the auth-file type
 * they would carry. The control API accepts them (and answers "not supported"), and the panel
 * files such a file under them.
 */
export const FOREIGN_QUOTA_ROUTES = {
  kiro: 'kiro',
  'github-copilot': 'ghcp',
  copilot: 'ghcp',
} as const;

type QuotaDescriptor = With<'quota', QuotaSpec>;
/** A quota route of a provider in the registry. */
export type ProviderQuotaRoute = QuotaDescriptor['quota']['route'];
/** A quota route the worker polls (its fetcher lives in libs/quota). */
export type PolledQuotaRoute = Extract<
  QuotaDescriptor,
  { readonly quota: { readonly polled: true } }
>['quota']['route'];
/** A provider name `/api/cliproxy/quota/:provider/:accountId` accepts. */
export type QuotaRoute =
  ProviderQuotaRoute | (typeof FOREIGN_QUOTA_ROUTES)[keyof typeof FOREIGN_QUOTA_ROUTES];

const QUOTA_DESCRIPTORS = PROVIDER_DESCRIPTORS.filter(has('quota'));

/** Every quota route: the registry's, then the foreign ones. */
export const QUOTA_ROUTES: readonly QuotaRoute[] = [
  ...new Set<QuotaRoute>([
    ...QUOTA_DESCRIPTORS.map((d) => d.quota.route),
    ...Object.values(FOREIGN_QUOTA_ROUTES),
  ]),
];

/** The quota routes the worker polls. */
export const POLLED_QUOTA_ROUTES: readonly PolledQuotaRoute[] = QUOTA_DESCRIPTORS.filter(
  (d): d is Extract<QuotaDescriptor, { readonly quota: { readonly polled: true } }> =>
    d.quota.polled,
).map((d) => d.quota.route);

/** The quota route of a provider's accounts, or undefined when it reports none. */
export function quotaRouteOf(provider: CredentialProvider): ProviderQuotaRoute | undefined {
  return (descriptorOf(provider) as ProviderDescriptor).quota?.route as
    ProviderQuotaRoute | undefined;
}
