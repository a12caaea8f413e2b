// Every row of the provider registry is wired everywhere it should be: routing, the catalog,
// config.yaml, the proxy's adapters and route names, OAuth (endpoints, login, refresh), quota
// and the panel. A row added to libs/providers passes here only when the whole path works.
import { configSchema } from '@app/config';
import { PROVIDERS, providerFor } from '@app/llm';
import { KEY_LIST_SECTIONS } from '@app/management';
import {
  applyTokenSet,
  defaultOAuthEndpoints,
  isRefreshable,
  resolveOAuthEndpoints,
  type OAuthHttpRequest,
  buildAuthorizeUrl,
  loginSpec,
  normalizeLoginProvider,
  providersForCallbackPath,
  LOGIN_MODULES,
} from '@app/oauth';
import {
  PROVIDER_DESCRIPTORS,
  type AuthFileLayout,
  type AuthFileSpec,
  type LoginProvider,
  type OAuthProviderId,
  type ProviderDescriptor,
  type ProviderId,
} from '@app/providers';
import { PROVIDER_ALIASES } from '@app/proxy';
import {
  fetchQuotaReading,
  isQuotaProvider,
  POLLED_QUOTA_PROVIDERS,
  quotaProviderOf,
  unsupportedQuotaMessage,
  type QuotaProvider,
} from '@app/quota';
import {
  CATALOG_NAMES,
  CREDENTIAL_PROVIDERS,
  catalogFor,
  credentialsFromConfig,
  defaultOwner,
  nativeFamily,
  parseAuthFileJson,
  type CredentialProvider,
} from '@app/routing';
import { providersAnswer } from '@app/gateway/panel/provider-view';
import { keySections, loginOptions, quotaRoutes } from '@web/lib/providers';

const ROWS: readonly ProviderDescriptor[] = PROVIDER_DESCRIPTORS;
const rows = <K extends keyof ProviderDescriptor>(key: K) =>
  ROWS.filter((d) => d[key] !== undefined).map((d) => [d.id, d] as const);

/** A minimal usable auth file of each layout (a new layout must say what its files hold). */
const FILE_BODY: Readonly<Record<AuthFileLayout, (spec: AuthFileSpec) => Record<string, unknown>>> =
  {
    tokens: (spec) =>
      Object.fromEntries(Object.keys(spec.secret ?? {}).map((k) => [k, `file-${k}`])),
    'google-token': () => ({
      token: { access_token: 'file-at', refresh_token: 'file-rt' },
      project_id: 'p-1',
    }),
    'codex-jwt': () => ({ access_token: 'file-at' }),
    'service-account': () => ({
      service_account: { client_email: 'sa@example.com', private_key: 'k', project_id: 'p-1' },
    }),
  };

/** An auth file of the row, with a refresh token and an email. */
function authFileOf(d: ProviderDescriptor, type = d.authFile!.types[0]): Record<string, unknown> {
  return {
    ...FILE_BODY[d.authFile!.layout](d.authFile!),
    type,
    email: `${d.id}@example.com`,
    refresh_token: 'file-rt',
  };
}

function configIssue(config: Record<string, unknown>): string | undefined {
  const r = configSchema.safeParse(config);
  return r.success ? undefined : r.error.issues.map((i) => i.message).join('; ');
}

describe('provider registry wiring', () => {
  it('should give every row a unique id that routing lists', () => {
    expect(new Set(ROWS.map((d) => d.id)).size).toBe(ROWS.length);
    expect([...CREDENTIAL_PROVIDERS]).toEqual(ROWS.map((d) => d.id));
  });

  describe.each(ROWS.map((d) => [d.id, d] as const))('%s', (id, d) => {
    const provider = id as CredentialProvider;

    it('should serve its catalog, owner and native family', () => {
      const catalog = catalogFor(provider);
      if (d.models.catalog === null) {
        expect(catalog).toEqual([]);
      } else {
        expect(CATALOG_NAMES).toContain(d.models.catalog);
        expect(catalog.length).toBeGreaterThan(0);
      }
      expect(defaultOwner(provider)).toBe(d.models.owner);
      expect(nativeFamily(provider)).toEqual(d.models.family);
    });

    it('should be called over HTTP exactly when it has a wire spec', () => {
      const issue = configIssue({ 'provider-base-urls': { [id]: 'http://127.0.0.1:1' } });
      if (!d.wire) {
        expect(id in PROVIDERS).toBe(false);
        expect(issue).toMatch(/unknown provider/);
        return;
      }
      const adapter = providerFor(id as ProviderId);
      expect(adapter.format).toBe(d.wire.format);
      expect(adapter.defaultBaseUrl).toBe(d.wire.defaultBaseUrl);
      const call = { model: 'm', stream: false, action: 'generate' as const, token: 't' };
      expect(adapter.url({ ...call, oauth: false })).toMatch(
        new RegExp(`^${d.wire.defaultBaseUrl}/`),
      );
      expect(adapter.url({ ...call, oauth: false, baseUrl: 'http://h' })).toMatch(/^http:\/\/h\//);
      expect(issue).toBeUndefined();
      for (const name of [id, ...d.aliases]) expect(PROVIDER_ALIASES[name]).toBe(id);
    });

    it('should read its config.yaml API-key list, when it has one', () => {
      if (!d.apiKeys) return;
      const config = configSchema.parse({ [d.apiKeys.section]: [{ 'api-key': 'key-123456' }] });
      expect(credentialsFromConfig(config).map((c) => c.provider)).toEqual([id]);
      expect(KEY_LIST_SECTIONS).toContain(d.apiKeys.section);
    });

    it('should load its auth files under every type, when it has them', () => {
      if (!d.authFile) return;
      for (const type of d.authFile.types) {
        const c = parseAuthFileJson('a.json', authFileOf(d, type.toUpperCase()));
        expect([c.provider, c.channel, c.kind]).toEqual([id, id, 'oauth']);
      }
    });

    it('should sign in, refresh and write back its accounts, when it has OAuth', () => {
      const issue = configIssue({ 'oauth-endpoints': { [id]: { 'client-id': 'x' } } });
      if (!d.oauth) {
        expect(issue).toMatch(/unknown OAuth provider/);
        return;
      }
      expect(issue).toBeUndefined();
      const oauthId = id as OAuthProviderId;
      expect(defaultOAuthEndpoints(oauthId).provider).toBe(id);
      const login = d.oauth.login;
      const flow = login.id as LoginProvider;
      expect(loginSpec(flow).oauth).toBe(id);
      expect(LOGIN_MODULES[flow]).toBeDefined();
      for (const name of [flow, ...login.aliases]) expect(normalizeLoginProvider(name)).toBe(flow);
      const ep = resolveOAuthEndpoints(configSchema.parse({}), oauthId);
      if (login.flow === 'redirect') {
        expect(providersForCallbackPath(login.callbackPath!)).toContain(flow);
        const url = buildAuthorizeUrl(flow, ep, {
          state: 'st-1',
          redirectUri: 'http://localhost:1/cb',
          codeChallenge: 'ch-1',
        });
        expect(url.startsWith(ep.authorizeUrl!)).toBe(true);
        expect(url).toContain('st-1');
      } else {
        expect(ep.deviceCodeUrl).toMatch(/^https:\/\//);
      }
      // A refresh writes the file routing reads back: same provider, the new token.
      expect(d.authFile).toBeDefined();
      const before = parseAuthFileJson('a.json', authFileOf(d));
      expect(isRefreshable(before)).toBe(true);
      const now = Date.parse('2030-01-01T00:00:00Z');
      const written = applyTokenSet(
        oauthId,
        authFileOf(d),
        { accessToken: 'new-at', refreshToken: 'new-rt', expiresAt: now + 3_600_000, raw: {} },
        now,
      );
      const after = parseAuthFileJson('a.json', written);
      expect([after.provider, after.secret.accessToken, after.secret.refreshToken]).toEqual([
        id,
        'new-at',
        'new-rt',
      ]);
      expect(after.secret.expiresAt).toBe(now + 3_600_000);
    });

    it('should file its accounts under its quota route, polled or "not supported"', async () => {
      if (!d.quota) {
        if (d.authFile)
          expect(quotaProviderOf(parseAuthFileJson('a.json', authFileOf(d)))).toBe(undefined);
        return;
      }
      const route = d.quota.route as QuotaProvider;
      expect(isQuotaProvider(route)).toBe(true);
      const c = parseAuthFileJson('a.json', authFileOf(d));
      expect(quotaProviderOf(c)).toBe(route);
      expect(POLLED_QUOTA_PROVIDERS.has(route)).toBe(d.quota.polled);
      const seen: OAuthHttpRequest[] = [];
      const http = {
        send: async (req: OAuthHttpRequest) => {
          seen.push(req);
          return { status: 200, text: '{}' };
        },
      };
      const ep = { ...defaultOAuthEndpoints('codex'), apiBase: 'http://127.0.0.1:1' };
      const reading = fetchQuotaReading(http, ep, route, c, Date.now());
      if (d.quota.polled) {
        await expect(reading).resolves.toBeDefined();
        expect(seen.length).toBeGreaterThan(0);
      } else {
        await expect(reading).rejects.toThrow(unsupportedQuotaMessage(route));
      }
    });

    it('should reach the panel: its login, key list and quota route', () => {
      const answer = providersAnswer();
      expect(answer.providers.map((p) => p.id)).toContain(id);
      if (d.oauth) {
        expect(loginOptions(answer)).toContainEqual({
          id: d.oauth.login.route,
          label: d.oauth.login.title,
          project: d.oauth.login.asksProject ?? false,
        });
      }
      if (d.apiKeys) {
        expect(keySections(answer)).toContainEqual({
          section: d.apiKeys.section,
          label: d.apiKeys.label,
        });
      }
      const routes = quotaRoutes(answer);
      const names = d.quota ? [id, ...(d.authFile?.types ?? [])] : (d.authFile?.types ?? []);
      for (const name of names) expect(routes[name]).toBe(d.quota?.route);
    });
  });

  it('should give every login flow a module and no module without a flow', () => {
    expect(Object.keys(LOGIN_MODULES).sort()).toEqual(
      rows('oauth')
        .map(([, d]) => d.oauth!.login.id)
        .sort(),
    );
  });
});
