import { CredentialService } from '@app/routing';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { clearRoutingState, postJson } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-client-replicas';
const AUTH = { authorization: `Bearer ${CLIENT_KEY}` };
const KEYS = ['rr-key-1', 'rr-key-2', 'rr-key-3'];

describe('proxy: two replicas share routing through Redis', () => {
  let fake: FakeUpstream;
  let gws: TestGateway[];

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    // Same config (same key prefix) for both: they form one cluster.
    const yaml = `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('replicas')}"
routing:
  strategy: round-robin
claude-api-key:
${KEYS.map((k) => `  - api-key: "${k}"\n    base-url: "${fake.url}"\n    models:\n      - name: claude-rr`).join('\n')}
`;
    gws = [
      await startGateway(yaml, 'gateway-replica-1'),
      await startGateway(yaml, 'gateway-replica-2'),
    ];
  });

  afterAll(async () => {
    for (const gw of gws ?? []) await gw.close();
    await fake?.close();
  });

  beforeEach(async () => {
    fake.reset();
    fake.clearRequests();
    await clearRoutingState(gws[0]);
    // Both replicas must have seen the clear before the next test.
    await waitFor(() => gws[1].app.get(CredentialService).state.entries().length === 0);
  });

  const ask = (gw: TestGateway, text: string) =>
    postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'claude-rr', messages: [{ role: 'user', content: text }] },
      AUTH,
    );

  it('should rotate round-robin across three keys as one: 30 requests, 10 per key', async () => {
    // Concurrent and split 2:1 between the replicas: per-replica cursors would give 11/10/9;
    // the shared cursor hands out each key exactly 10 times.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => ask(gws[i % 3 === 0 ? 1 : 0], `request ${i}`)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const perKey = new Map<string, number>();
    for (const r of fake.requests())
      perKey.set(r.apiKey ?? '', (perKey.get(r.apiKey ?? '') ?? 0) + 1);
    expect(Object.fromEntries(perKey)).toEqual({ 'rr-key-1': 10, 'rr-key-2': 10, 'rr-key-3': 10 });
  });

  it('should respect a cooldown entered on the other replica', async () => {
    // Replica 1 meets a 429 on key 1 (whichever request lands on it first).
    fake.fail({ status: 429, retryAfterSeconds: 120, match: { apiKey: 'rr-key-1' } });
    for (let i = 0; i < 3; i++) expect((await ask(gws[0], `warm ${i}`)).status).toBe(200);
    expect(fake.requests().filter((r) => r.apiKey === 'rr-key-1')).toHaveLength(1);

    const state = gws[1].app.get(CredentialService).state;
    await waitFor(() => state.entries().some((e) => e.state.cooldownUntil > Date.now() + 60_000), {
      what: 'replica 2 to learn the cooldown',
    });
    fake.clearRequests();
    for (let i = 0; i < 6; i++) expect((await ask(gws[1], `after ${i}`)).status).toBe(200);
    const keys = fake.requests().map((r) => r.apiKey);
    expect(keys).toHaveLength(6);
    expect(keys).not.toContain('rr-key-1');
    expect(new Set(keys)).toEqual(new Set(['rr-key-2', 'rr-key-3']));
  });
});
