import {
  API_KEY_SECTIONS,
  CREDENTIAL_PROVIDERS,
  OAUTH_DESCRIPTORS,
  OAUTH_PROVIDERS,
  POLLED_QUOTA_ROUTES,
  PROVIDER_ALIASES,
  PROVIDER_DESCRIPTORS,
  PROVIDER_IDS,
  QUOTA_ROUTES,
  apiKeySectionProvider,
  authFileProviderOf,
  descriptorOf,
  isCredentialProvider,
  isOAuthProvider,
  isProviderId,
  quotaRouteOf,
  type ProviderDescriptor,
} from '@app/providers';

const ROWS: readonly ProviderDescriptor[] = PROVIDER_DESCRIPTORS;

/** Every value appears once. */
function unique(values: readonly string[]): void {
  expect(values.filter((v, i) => values.indexOf(v) !== i)).toEqual([]);
}

describe('provider registry', () => {
  it('should give every id, alias, auth-file type and API-key list to one row only', () => {
    unique(ROWS.map((d) => d.id));
    unique(ROWS.flatMap((d) => (d.wire ? [d.id, ...d.aliases] : [])));
    unique(ROWS.flatMap((d) => d.authFile?.types ?? []));
    unique(API_KEY_SECTIONS);
    for (const d of ROWS) {
      for (const t of d.authFile?.types ?? []) expect(t).toBe(t.toLowerCase());
    }
  });

  it('should give every login flow its own name, aliases, route and landing path', () => {
    const logins = OAUTH_DESCRIPTORS.map((d) => d.oauth.login);
    unique(logins.flatMap((l) => [l.id, ...l.aliases]));
    unique(logins.map((l) => l.route));
    unique(logins.flatMap((l) => ('callbackPath' in l ? [l.callbackPath] : [])));
  });

  it.each(OAUTH_DESCRIPTORS.map((d) => [d.id, d] as const))(
    'should describe %s OAuth consistently',
    (_id, d: ProviderDescriptor) => {
      const { login, endpoints } = d.oauth!;
      const redirect = login.flow === 'redirect';
      expect(login.callbackPath !== undefined).toBe(redirect);
      expect(login.authorize !== undefined).toBe(redirect);
      expect(endpoints.authorizeUrl !== undefined).toBe(redirect);
      expect(endpoints.redirectUri !== undefined).toBe(redirect);
      expect(endpoints.deviceCodeUrl !== undefined).toBe(!redirect);
      // OAuth accounts live in auth files, which the refresh writes back.
      expect(d.authFile).toBeDefined();
      for (const item of login.authorize ?? []) {
        expect(item).toMatch(/^(\{pkce\??\}|[A-Za-z_]+=[^=]*)$/);
      }
      if (login.pkce)
        expect(login.authorize?.some((i) => i.startsWith('{pkce')) ?? true).toBe(true);
    },
  );

  it('should describe flat token files by the keys it reads and requires', () => {
    for (const d of ROWS) {
      const file = d.authFile;
      if (file?.layout !== 'tokens') {
        expect(file?.secret).toBeUndefined();
        continue;
      }
      const keys = Object.keys(file.secret ?? {});
      for (const group of file.requires ?? []) for (const k of group) expect(keys).toContain(k);
    }
  });

  it('should derive the id lists and lookups from the rows', () => {
    expect(CREDENTIAL_PROVIDERS).toEqual(ROWS.map((d) => d.id));
    expect(PROVIDER_IDS).toEqual(ROWS.filter((d) => d.wire).map((d) => d.id));
    expect(OAUTH_PROVIDERS).toEqual(ROWS.filter((d) => d.oauth).map((d) => d.id));
    expect(isCredentialProvider('aistudio')).toBe(true);
    expect(isProviderId('aistudio')).toBe(false);
    expect(isProviderId('kimi')).toBe(true);
    expect(isOAuthProvider('gemini')).toBe(false);
    expect(isOAuthProvider('gemini-cli')).toBe(true);
    expect(isCredentialProvider('nope')).toBe(false);
    expect(descriptorOf('claude').wire.apiKeyHeader).toBe('x-api-key');
    expect(PROVIDER_ALIASES.anthropic).toBe('claude');
    expect(PROVIDER_ALIASES.aistudio).toBeUndefined();
    expect(authFileProviderOf('GEMINI')).toBe('gemini-cli');
    expect(authFileProviderOf('anthropic')).toBeUndefined();
    expect(apiKeySectionProvider('vertex-api-key')).toBe('vertex');
  });

  it('should list quota routes: the rows first, then foreign ones; polled ones apart', () => {
    expect(QUOTA_ROUTES).toEqual([
      'claude',
      'codex',
      'gemini',
      'agy',
      'qwen',
      'kimi',
      'iflow',
      'kiro',
      'ghcp',
    ]);
    expect(POLLED_QUOTA_ROUTES).toEqual(['claude', 'codex', 'gemini', 'agy', 'kimi']);
    expect(quotaRouteOf('antigravity')).toBe('agy');
    expect(quotaRouteOf('vertex')).toBeUndefined();
  });
});
