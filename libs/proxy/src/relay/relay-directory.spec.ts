import { Credential, ModelRegistry } from '@app/routing';
import {
  relayCandidate,
  relayConnectionOf,
  relayCredential,
  type RelayConnection,
} from '@app/proxy/relay/relay-directory';
import { upstreamName } from '@app/proxy/candidate-source';

const conn: RelayConnection = {
  id: 'aistudio-abc',
  owner: 'replica-1',
  label: 'aistudio-abc',
  connectedAt: 1,
};

describe('relay credentials', () => {
  it('should make an aistudio credential serving the aistudio catalog, pinnable as aistudio', () => {
    const registry = ModelRegistry.build([relayCredential(conn)], {});
    const [rc] = registry.resolve('gemini-2.5-flash');
    expect(rc.credential.provider).toBe('aistudio');
    expect(registry.has('gemini-2.5-flash', { provider: 'aistudio' })).toBe(true);
    expect(registry.has('gemini-2.5-flash', { provider: 'claude' })).toBe(false);
  });

  it('should honour oauth-excluded-models for the aistudio channel', () => {
    const registry = ModelRegistry.build([relayCredential(conn)], {
      'oauth-excluded-models': { aistudio: ['gemini-2.5-flash'] },
    });
    expect(registry.has('gemini-2.5-flash')).toBe(false);
    expect(registry.has('gemini-2.5-pro')).toBe(true);
  });

  it('should call a relay credential in the Gemini format over its connection, without a key', () => {
    const registry = ModelRegistry.build([relayCredential(conn)], {});
    const [rc] = registry.resolve('gemini-2.5-pro(high)');
    expect(relayCandidate(rc)).toEqual({
      credentialId: 'ws:aistudio-abc',
      authIndex: rc.credential.authIndex,
      provider: 'gemini',
      label: 'aistudio-abc',
      upstreamModel: 'gemini-2.5-pro(high)',
      stateModel: 'gemini-2.5-pro',
      headers: {},
      token: '',
      oauth: false,
      relay: 'aistudio-abc',
    });
  });

  it('should name a relay candidate aistudio in messages and logs, whatever adapter calls it', () => {
    const registry = ModelRegistry.build([relayCredential(conn)], {});
    const [rc] = registry.resolve('gemini-2.5-pro(high)');
    const cand = relayCandidate(rc);
    expect(cand?.provider).toBe('gemini');
    expect(cand && upstreamName(cand)).toBe('aistudio');
    expect(upstreamName({ provider: 'gemini' })).toBe('gemini');
  });

  it('should not treat other credentials as relays', () => {
    const other = new Credential({
      id: 'file:aistudio.json',
      indexSeed: 'file:aistudio.json',
      provider: 'aistudio',
      channel: 'aistudio',
      kind: 'oauth',
      source: 'file',
      label: 'x',
      secret: {},
    });
    expect(relayConnectionOf(other.id)).toBeUndefined();
    expect(
      relayCandidate({ credential: other, upstreamModel: 'm', stateModel: 'm' }),
    ).toBeUndefined();
  });
});
