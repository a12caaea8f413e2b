import { credentialRow, filterRows, quotaBars, quotaWindowName } from './credentials';

const NOW = Date.parse('2025-05-01T10:00:00Z');
/** Where quotas live, as lib/providers.ts derives it from the gateway's registry. */
const ROUTES = { claude: 'claude', 'gemini-cli': 'gemini', antigravity: 'agy' };

describe('credentialRow', () => {
  it('should call an enabled file without problems active', () => {
    const row = credentialRow(
      {
        name: 'claude-a@example.com.json',
        auth_index: '0123abcd',
        type: 'claude',
        email: 'a@example.com',
        status: 'active',
      },
      NOW,
      ROUTES,
    );
    expect(row).toMatchObject({
      provider: 'claude',
      label: 'a@example.com',
      state: 'active',
      detail: '',
      isFile: true,
      quota: { provider: 'claude', accountId: '0123abcd' },
    });
  });

  it('should put disabled before every other state', () => {
    const row = credentialRow(
      { name: 'x.json', type: 'codex', disabled: true, next_retry_after: '2025-05-01T11:00:00Z' },
      NOW,
      ROUTES,
    );
    expect(row.state).toBe('disabled');
    expect(row.disabled).toBe(true);
  });

  it('should show a cooldown only while it lasts', () => {
    const cooling = credentialRow(
      {
        name: 'x.json',
        type: 'gemini-cli',
        status_message: 'quota exceeded',
        next_retry_after: '2025-05-01T10:30:00Z',
      },
      NOW,
      ROUTES,
    );
    expect(cooling).toMatchObject({
      state: 'cooling',
      coolingUntil: '2025-05-01T10:30:00Z',
      detail: 'quota exceeded',
      quota: { provider: 'gemini' },
    });
    const over = credentialRow(
      { name: 'x.json', type: 'gemini-cli', next_retry_after: '2025-05-01T09:00:00Z' },
      NOW,
      ROUTES,
    );
    expect(over.state).toBe('active');
  });

  it('should report errors and per-model cooldowns sorted by time', () => {
    const row = credentialRow(
      {
        name: 'agy.json',
        provider: 'antigravity',
        status: 'error',
        status_message: 'invalid_grant',
        unavailable: true,
        cooldowns: [
          { model: 'b', until: '2025-05-01T12:00:00Z' },
          { model: 'a', until: '2025-05-01T11:00:00Z' },
          { model: 'old', until: '2025-05-01T08:00:00Z' },
        ],
      },
      NOW,
      ROUTES,
    );
    expect(row.state).toBe('error');
    expect(row.detail).toBe('invalid_grant');
    expect(row.modelCooldowns.map((m) => m.model)).toEqual(['a', 'b']);
    expect(row.quota).toEqual({ provider: 'agy', accountId: 'agy.json' });
  });

  it('should call a credential benched after an upstream error cooling, with its last error apart', () => {
    const row = credentialRow(
      {
        name: 'claude-a.json',
        type: 'claude',
        status: 'error',
        status_message: 'overloaded',
        cooldowns: [{ model: 'claude-x', until: '2025-05-01T10:05:00Z', status: 503 }],
        last_error: { status: 503, message: 'overloaded', at: '2025-05-01T09:58:00Z' },
        success: 5,
        failed: 2,
      },
      NOW,
      ROUTES,
    );
    expect(row).toMatchObject({
      state: 'cooling',
      lastError: { status: 503, at: '2025-05-01T09:58:00Z' },
      success: 5,
      failed: 2,
    });
  });

  it('should bench the whole credential on a * cooldown with its message', () => {
    const row = credentialRow(
      {
        name: 'codex-x.json',
        type: 'codex',
        id_token: { plan_type: 'plus' },
        cooldowns: [{ model: '*', until: '2025-05-01T10:10:00Z', message: 'HTTP 429' }],
      },
      NOW,
      ROUTES,
    );
    expect(row).toMatchObject({
      state: 'cooling',
      coolingUntil: '2025-05-01T10:10:00Z',
      detail: 'HTTP 429',
      plan: 'plus',
    });
  });

  it('should not offer file actions or quota for config entries', () => {
    const row = credentialRow(
      { name: 'claude-api-key[0]', type: 'claude', source: 'config' },
      NOW,
      ROUTES,
    );
    expect(row.isFile).toBe(false);
    expect(row.quota).toBeUndefined();
  });
});

describe('quotaBars', () => {
  it('should clamp shares and grade them', () => {
    const bars = quotaBars({
      success: true,
      windows: [
        { name: 'five_hour', percentage: 63, resetTime: '2025-05-01T12:00:00Z' },
        { name: 'weekly', percentage: 12 },
      ],
      models: [{ name: 'gemini-3-pro', percentage: -5 }],
    });
    expect(bars).toEqual([
      { name: '5-hour', remaining: 63, level: 'ok', resetTime: '2025-05-01T12:00:00Z' },
      { name: 'Weekly', remaining: 12, level: 'low' },
      { name: 'gemini-3-pro', remaining: 0, level: 'empty' },
    ]);
  });
});

describe('quotaWindowName', () => {
  it('should name windows as people read them', () => {
    expect(quotaWindowName('seven_day_opus')).toBe('Weekly · Opus');
    expect(quotaWindowName('primary')).toBe('5-hour');
    expect(quotaWindowName('30m')).toBe('30-minute');
    expect(quotaWindowName('gemini-2.5-pro')).toBe('gemini-2.5-pro');
  });
});

describe('filterRows', () => {
  it('should filter by text, provider and state', () => {
    const rows = [
      credentialRow({ name: 'a.json', type: 'claude', email: 'a@x.com' }),
      credentialRow({ name: 'b.json', type: 'codex', disabled: true }),
    ];
    expect(filterRows(rows, { q: 'A@X', provider: '', status: '' }).map((r) => r.name)).toEqual([
      'a.json',
    ]);
    expect(filterRows(rows, { q: '', provider: 'codex', status: '' })).toHaveLength(1);
    expect(filterRows(rows, { q: '', provider: '', status: 'disabled' })[0]?.name).toBe('b.json');
  });
});
