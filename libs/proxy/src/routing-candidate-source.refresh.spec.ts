import type { ConfigService } from '@app/config';
import type { TokenRefreshService } from '@app/oauth';
import {
  Credential,
  type CredentialInit,
  type CredentialService,
  type RouteCandidate,
} from '@app/routing';
import type { RelayDirectory } from '@app/proxy/relay/relay-directory';
import { RoutingCandidateSource } from '@app/proxy/routing-candidate-source';

const NOW = Date.now();

function cred(
  name: string,
  expiresAt: number | undefined,
  over: Partial<CredentialInit> = {},
): Credential {
  return new Credential({
    id: `file:${name}.json`,
    indexSeed: `file:${name}.json`,
    provider: 'claude',
    channel: 'claude',
    kind: 'oauth',
    source: 'file',
    fileName: `${name}.json`,
    label: name,
    secret: { accessToken: `at-${name}`, refreshToken: `rt-${name}`, expiresAt },
    ...over,
  });
}

function setup(creds: Credential[], refreshed: (c: Credential) => Credential | undefined) {
  const candidates: RouteCandidate[] = creds.map((credential) => ({
    credential,
    upstreamModel: 'm',
    stateModel: 'm',
  }));
  const routing = {
    pick: async () => ({ kind: 'ok', candidates }),
  } as unknown as CredentialService;
  const config = {
    current: { 'provider-base-urls': {}, 'proxy-url': '' },
  } as unknown as ConfigService;
  const ensureFresh = jest.fn(async (c: Credential) => refreshed(c));
  const refreshInBackground = jest.fn();
  const tokens = { ensureFresh, refreshInBackground } as unknown as TokenRefreshService;
  return {
    // No /v1/ws connections: only the registry's credentials are candidates.
    sut: new RoutingCandidateSource(routing, config, tokens, { size: 0 } as RelayDirectory),
    ensureFresh,
    refreshInBackground,
  };
}

describe(`${RoutingCandidateSource.name} inline refresh`, () => {
  it('should wait for the refresh of an expired first candidate and send the new token', async () => {
    const old = cred('a', NOW - 1000);
    const fresh = cred('a', NOW + 3600_000, {
      secret: { accessToken: 'at-new', refreshToken: 'rt-a', expiresAt: NOW + 3600_000 },
    });
    const { sut, ensureFresh } = setup([old], () => fresh);
    const plan = await sut.plan('m', {});
    expect(ensureFresh).toHaveBeenCalledWith(old, expect.any(Number));
    expect(plan).toMatchObject({ kind: 'ok', candidates: [{ token: 'at-new' }] });
  });

  it('should leave out failover candidates that expired and refresh them in the background', async () => {
    const ok = cred('ok', NOW + 3600_000);
    const expired = cred('expired', NOW - 1000);
    const { sut, ensureFresh, refreshInBackground } = setup([ok, expired], () => undefined);
    const plan = await sut.plan('m', {});
    expect(plan).toMatchObject({ kind: 'ok', candidates: [{ token: 'at-ok' }] });
    expect(plan.kind === 'ok' && plan.candidates).toHaveLength(1);
    expect(ensureFresh).not.toHaveBeenCalled();
    expect(refreshInBackground).toHaveBeenCalledWith(expired);
  });

  it('should never send a token it could not refresh', async () => {
    const { sut } = setup([cred('dead', NOW - 1000)], () => undefined);
    expect(await sut.plan('m', {})).toEqual({ kind: 'none' });
  });

  it('should not touch tokens that are still valid', async () => {
    const { sut, ensureFresh } = setup([cred('fine', NOW + 3600_000)], () => undefined);
    expect(await sut.plan('m', {})).toMatchObject({
      kind: 'ok',
      candidates: [{ token: 'at-fine' }],
    });
    expect(ensureFresh).not.toHaveBeenCalled();
  });
});
