import type { RedisService } from '@app/storage';
import { ALL_MODELS } from '@app/routing/credential-state.policy';
import { CredentialStateRepository } from '@app/routing/credential-state.repository';
import { Credential } from '@app/routing/credential.types';
import { Selector } from '@app/routing/selector';

const NOW = 1_000_000;

/** Redis stand-in that stores the hash and records publishes (enough for write paths). */
function redisStub() {
  const hash = new Map<string, string>();
  const published: string[] = [];
  const redis = {
    isReady: true,
    key: (...p: string[]) => p.join(':'),
    publish: async (_c: string, m: string) => {
      published.push(m);
      return true;
    },
    subscribe: () => () => undefined,
    command: {
      hset: async (_k: string, f: string, v: string) => void hash.set(f, v),
      hdel: async (_k: string, f: string) => void hash.delete(f),
      hgetall: async () => Object.fromEntries(hash),
    },
  };
  return { redis: redis as unknown as RedisService, hash, published };
}

describe(`${CredentialStateRepository.name} error marks`, () => {
  it('should make a marked credential unavailable with no end, for every model', async () => {
    const { redis } = redisStub();
    const sut = new CredentialStateRepository(redis, { now: () => NOW });
    await sut.markError('a1', { message: 'Refresh token rejected', fingerprint: 'f1' });
    expect(sut.availability('a1', 'any-model', NOW)).toEqual({
      available: false,
      until: Number.POSITIVE_INFINITY,
    });
    expect(sut.errorOf('a1')).toEqual({
      message: 'Refresh token rejected',
      fingerprint: 'f1',
      at: NOW,
    });
  });

  it('should survive a reload from Redis and a success report, and go with clearError', async () => {
    const { redis } = redisStub();
    const writer = new CredentialStateRepository(redis, { now: () => NOW });
    await writer.markError('a1', { message: 'revoked' });
    await writer.setQuotaExceeded('a1', ALL_MODELS, NOW + 10);
    await writer.recordSuccess('a1', ALL_MODELS);
    const reader = new CredentialStateRepository(redis, { now: () => NOW });
    await reader.refresh();
    expect(reader.errorOf('a1')?.message).toBe('revoked');
    await reader.clearError('a1');
    expect(reader.errorOf('a1')).toBeUndefined();
    // The quota bench set before is still there.
    expect(reader.availability('a1', 'm', NOW)).toEqual({ available: false, until: NOW + 10 });
  });
});

describe(`${Selector.name} with errored credentials`, () => {
  it('should answer none (not a cooldown) when only errored credentials serve the model', async () => {
    const { redis } = redisStub();
    const state = new CredentialStateRepository(redis, { now: () => NOW });
    const credential = new Credential({
      id: 'file:c.json',
      indexSeed: 'file:c.json',
      provider: 'claude',
      channel: 'claude',
      kind: 'oauth',
      source: 'file',
      label: 'c',
      secret: { accessToken: 't' },
    });
    await state.markError(credential.authIndex, { message: 'revoked' });
    const sut = new Selector(
      state,
      { next: () => Promise.resolve(1) },
      () => 'round-robin',
      () => NOW,
    );
    expect(await sut.select('m', [{ credential, upstreamModel: 'm', stateModel: 'm' }])).toEqual({
      kind: 'none',
    });
  });
});
