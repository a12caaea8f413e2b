import {
  attentionItems,
  quotaWindowName,
  type AttentionInputs,
} from '@app/management/attention/attention';

const NOW = Date.UTC(2025, 4, 1, 7, 40);

function inputs(over: Partial<AttentionInputs> = {}): AttentionInputs {
  return { now: NOW, redis: { up: true }, credentials: [], unserved: [], keys: [], ...over };
}

describe(attentionItems.name, () => {
  it('should say nothing when all is well', () => {
    expect(attentionItems(inputs({ quotas: [], members: [], spike: null }))).toEqual([]);
  });

  it('should list an outage, cooling and errored accounts, low quota and unserved models', () => {
    const items = attentionItems(
      inputs({
        redis: { up: false, downSince: NOW - 5 * 60_000 },
        credentials: [
          {
            authIndex: 'a',
            label: 'a@example.com',
            provider: 'claude',
            fileName: 'claude-a.json',
            disabled: false,
            cooldowns: [{ model: '*', until: NOW + 60_000, status: 429, message: 'rate limited' }],
          },
          {
            authIndex: 'b',
            label: 'b@example.com',
            provider: 'codex',
            disabled: false,
            error: { message: 'refresh token revoked', at: NOW - 1000 },
            cooldowns: [],
          },
          { authIndex: 'c', label: 'off', provider: 'claude', disabled: true, cooldowns: [] },
        ],
        quotas: [
          {
            authIndex: 'a',
            label: 'a@example.com',
            provider: 'claude',
            windows: [
              { name: 'five_hour', percentage: 60 },
              { name: 'seven_day_opus', percentage: 9, resetTime: '2025-05-03T00:00:00Z' },
            ],
          },
        ],
        unserved: [
          { model: 'gpt-5', reason: 'disabled', providers: ['codex'] },
          { model: 'gpt-5-codex', reason: 'disabled', providers: ['codex'] },
        ],
        members: [
          { name: 'gateway-h-1', status: 'running', health: 'healthy' },
          { name: 'worker-h-2', status: 'crashed', health: 'unknown' },
        ],
      }),
    );
    expect(items.map((i) => [i.kind, i.severity])).toEqual([
      ['redis-down', 'bad'],
      ['member-down', 'bad'],
      ['credential-error', 'bad'],
      ['model-unserved', 'bad'],
      ['credential-cooling', 'warn'],
      ['quota-low', 'warn'],
    ]);
    const byKind = Object.fromEntries(items.map((i) => [i.kind, i]));
    expect(byKind['redis-down'].since).toBe(new Date(NOW - 5 * 60_000).toISOString());
    expect(byKind['credential-cooling']).toMatchObject({
      title: 'a@example.com (claude) is cooling down',
      detail: 'Routing skips it for every model after 429: rate limited.',
      link: { page: 'credentials', query: { status: 'cooling', q: 'claude-a.json' } },
      until: new Date(NOW + 60_000).toISOString(),
    });
    expect(byKind['quota-low'].title).toBe(
      'a@example.com (claude) has 9 % left of its Weekly · Opus quota',
    );
    expect(byKind['model-unserved']).toMatchObject({
      title: '2 models with no usable credential: gpt-5, gpt-5-codex',
      models: ['gpt-5', 'gpt-5-codex'],
      link: { page: 'credentials', query: { provider: 'codex' } },
    });
  });

  it('should list expired and soon-expiring client keys and a failure spike', () => {
    const items = attentionItems(
      inputs({
        keys: [
          { keyId: 'k1', label: 'CI', expiresAt: NOW - 1 },
          { keyId: 'k2', label: '', expiresAt: NOW + 86_400_000 },
          { keyId: 'k3', label: 'later', expiresAt: NOW + 30 * 86_400_000 },
        ],
        spike: { minutes: 5, requests: 20, failures: 10, rate: 0.5, baselineRate: 0.01 },
      }),
    );
    expect(items.map((i) => i.id)).toEqual(['failure-spike', 'key-expired:k1', 'key-expiring:k2']);
    expect(items[0].title).toBe(
      'Failure rate spike: 50 % of requests failed in the last 5 minutes',
    );
    expect(items[1].title).toBe('Client key "CI" has expired');
  });
});

describe(quotaWindowName.name, () => {
  it('should name windows as people read them', () => {
    expect(quotaWindowName('five_hour')).toBe('5-hour');
    expect(quotaWindowName('seven_day_opus')).toBe('Weekly · Opus');
    expect(quotaWindowName('5h')).toBe('5-hour');
    expect(quotaWindowName('gemini-2.5-pro')).toBe('gemini-2.5-pro');
  });
});
