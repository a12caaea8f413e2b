// How each auth-file layout (registry `authFile.layout`) turns into a credential's secret. Most
// providers keep flat token fields, read from the registry row alone (`tokens`); three keep
// their secret in a shape of their own, with a reader each.
import type { AuthFileLayout, AuthFileSpec, Descriptor } from '@app/providers';
import type { CredentialSecret } from '@app/routing/credential.types';
import {
  decodeJwtClaims,
  fromUnix,
  isObject,
  type FileFields,
} from '@app/routing/auth-file.fields';

/** Per-provider secrets and display fields. */
export interface ProviderFields {
  secret: CredentialSecret;
  email?: string;
  planType?: string;
}

/** Secret fields that hold a string. */
type StringSecretKey = {
  [K in keyof CredentialSecret]-?: NonNullable<CredentialSecret[K]> extends string ? K : never;
}[keyof CredentialSecret];

/** The secret fields registry rows name for `tokens` files. */
type TokenSecretField<D = Descriptor> = D extends { authFile: { secret: infer S } }
  ? S[keyof S]
  : never;

/** A registry row naming a field the secret lacks (or one that is not a string) fails here. */
function secretKey(field: TokenSecretField): StringSecretKey {
  return field;
}

const A_VOWEL = /^[aeiou]/i;

/** `an access_token or a refresh_token`. */
function oneOf(keys: readonly string[]): string {
  return keys.map((k) => `${A_VOWEL.test(k) ? 'an' : 'a'} ${k}`).join(' or ');
}

/** Flat token fields: the keys the registry row names, its required ones, the expiry. */
function tokenFields(f: FileFields, spec: AuthFileSpec): ProviderFields {
  for (const group of spec.requires ?? []) {
    if (group.length === 1) f.requiredStr(group[0]);
    else if (!group.some((key) => f.str(key))) f.fail(group[0], `needs ${oneOf(group)}`);
  }
  const secret: { -readonly [K in StringSecretKey]?: string } & { expiresAt?: number } = {};
  for (const [key, field] of Object.entries(spec.secret ?? {})) {
    secret[secretKey(field as TokenSecretField)] = f.str(key);
  }
  secret.expiresAt = f.expiry();
  if (secret.expiresAt === undefined && spec.issuedExpiry) {
    const issued = f.data.timestamp;
    const lifetime = f.data.expires_in;
    if (typeof issued === 'number' && typeof lifetime === 'number') {
      secret.expiresAt = (fromUnix(issued) ?? 0) + lifetime * 1000 || undefined;
    }
  }
  return { secret };
}

/** Google's oauth2 token object under `token` (Gemini CLI), plus the project. */
function googleTokenFields(f: FileFields): ProviderFields {
  const token =
    f.object('token') ?? f.fail('token', 'is required (the Gemini CLI OAuth token object)');
  const accessToken = f.str('access_token', token, 'token.access_token');
  const refreshToken = f.str('refresh_token', token, 'token.refresh_token');
  if (!accessToken && !refreshToken) {
    f.fail('token.access_token', 'token needs an access_token or a refresh_token');
  }
  return {
    secret: { accessToken, refreshToken, expiresAt: f.expiry(), projectId: f.str('project_id') },
  };
}

const CODEX_AUTH_CLAIM = 'https://api.openai.com/auth';

/** Flat tokens whose id_token carries the email, account and plan (Codex). */
function codexJwtFields(f: FileFields): ProviderFields {
  const accessToken = f.requiredStr('access_token');
  const idToken = f.str('id_token');
  const claims = decodeJwtClaims(idToken);
  const auth = claims && isObject(claims[CODEX_AUTH_CLAIM]) ? claims[CODEX_AUTH_CLAIM] : undefined;
  const claim = (key: string): string | undefined => {
    const v = auth?.[key];
    return typeof v === 'string' && v ? v : undefined;
  };
  // The access token's own `exp` is fresher than a stale `expired` field (CLIProxyAPI agrees).
  const exp = decodeJwtClaims(accessToken)?.exp;
  const expiresAt = typeof exp === 'number' ? exp * 1000 : f.expiry();
  const email = typeof claims?.email === 'string' ? claims.email : undefined;
  return {
    secret: {
      accessToken,
      refreshToken: f.str('refresh_token'),
      idToken,
      expiresAt,
      accountId: f.str('account_id') ?? claim('chatgpt_account_id'),
    },
    email,
    planType: claim('chatgpt_plan_type'),
  };
}

/** A Google service-account key (Vertex), its project and region. */
function serviceAccountFields(f: FileFields): ProviderFields {
  const sa =
    f.object('service_account') ??
    f.fail('service_account', 'is required (the service-account JSON key)');
  const clientEmail = f.requiredStr('client_email', sa, 'service_account.client_email');
  f.requiredStr('private_key', sa, 'service_account.private_key');
  const projectId =
    f.str('project_id') ??
    f.str('project_id', sa, 'service_account.project_id') ??
    f.fail('project_id', 'is required (top level or inside service_account)');
  return {
    secret: { serviceAccount: sa, projectId, location: f.str('location') },
    email: clientEmail,
  };
}

const LAYOUTS: Readonly<
  Record<AuthFileLayout, (f: FileFields, spec: AuthFileSpec) => ProviderFields>
> = {
  tokens: tokenFields,
  'google-token': googleTokenFields,
  'codex-jwt': codexJwtFields,
  'service-account': serviceAccountFields,
};

/** The secret and display fields of one file, as its provider's layout reads them. */
export function readLayout(f: FileFields, spec: AuthFileSpec): ProviderFields {
  return LAYOUTS[spec.layout](f, spec);
}
