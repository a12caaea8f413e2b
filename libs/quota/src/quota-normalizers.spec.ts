import {
  parseAntigravityModels,
  parseClaudeUsage,
  parseCodexUsage,
  parseCopilotUser,
  parseGeminiCliQuota,
  parseKimiUsage,
} from '@app/quota/quota-normalizers';

const NOW = Date.parse('2026-01-02T12:00:00Z');

describe(parseAntigravityModels.name, () => {
  it('should turn each model quota into a remaining percentage with its reset time', () => {
    const sut = parseAntigravityModels({
      models: {
        'gemini-2.5-pro': {
          quotaInfo: { remainingFraction: 0.8, resetTime: '2026-01-02T17:00:00Z' },
        },
        'claude-sonnet-4-5': { quotaInfo: { resetTime: '2026-01-02T15:00:00Z' } },
        chat_20706: { displayName: 'no quota info' },
      },
    });
    expect(sut.models).toEqual([
      { name: 'claude-sonnet-4-5', percentage: 0, resetTime: '2026-01-02T15:00:00.000Z' },
      { name: 'gemini-2.5-pro', percentage: 80, resetTime: '2026-01-02T17:00:00.000Z' },
    ]);
  });

  it('should answer no models for an unexpected body', () => {
    expect(parseAntigravityModels('nope').models).toEqual([]);
  });
});

describe(parseGeminiCliQuota.name, () => {
  it('should read buckets and the tier, naming token types apart only when needed', () => {
    const sut = parseGeminiCliQuota(
      {
        buckets: [
          {
            modelId: 'gemini-2.5-pro',
            tokenType: 'REQUESTS',
            remainingFraction: 0.75,
            resetTime: '2026-01-03T00:00:00Z',
          },
          { modelId: 'gemini-2.5-flash', tokenType: 'REQUESTS', remainingFraction: 1 },
          { modelId: 'gemini-2.5-flash', tokenType: 'TOKENS', remainingFraction: 0.5 },
        ],
      },
      {
        currentTier: { id: 'free-tier', name: 'Free' },
        paidTier: { id: 'g1-pro-tier', name: 'Pro' },
      },
    );
    expect(sut.models).toEqual([
      { name: 'gemini-2.5-pro', percentage: 75, resetTime: '2026-01-03T00:00:00.000Z' },
      { name: 'gemini-2.5-flash (requests)', percentage: 100 },
      { name: 'gemini-2.5-flash (tokens)', percentage: 50 },
    ]);
    expect(sut.tier).toBe('g1-pro-tier');
    expect(sut.plan).toBe('Pro');
  });
});

describe(parseClaudeUsage.name, () => {
  it('should turn utilization into remaining share, skip null windows and extra_usage', () => {
    const sut = parseClaudeUsage({
      seven_day: { utilization: 36.0, resets_at: '2026-01-08T06:59:59.600974+00:00' },
      five_hour: { utilization: 24.0, resets_at: '2026-01-02T19:59:59.600956+00:00' },
      seven_day_opus: null,
      seven_day_sonnet: { utilization: 1.0, resets_at: '2026-01-08T14:59:59+00:00' },
      extra_usage: { is_enabled: false, utilization: null },
    });
    expect(sut.windows).toEqual([
      { name: 'five_hour', percentage: 76, resetTime: '2026-01-02T19:59:59.600Z' },
      { name: 'seven_day', percentage: 64, resetTime: '2026-01-08T06:59:59.600Z' },
      { name: 'seven_day_sonnet', percentage: 99, resetTime: '2026-01-08T14:59:59.000Z' },
    ]);
  });
});

describe(parseCodexUsage.name, () => {
  it('should read primary and secondary windows, reset_at first, and the plan', () => {
    const sut = parseCodexUsage(
      {
        plan_type: 'pro',
        rate_limit: {
          limit_reached: false,
          primary_window: { used_percent: 3, reset_after_seconds: 600, reset_at: 1767385852 },
          secondary_window: { used_percent: 9, reset_after_seconds: 3600 },
        },
        code_review_rate_limit: {
          primary_window: { used_percent: 0, reset_at: 1767974794 },
          secondary_window: null,
        },
      },
      NOW,
    );
    expect(sut.plan).toBe('pro');
    expect(sut.windows).toEqual([
      { name: 'primary', percentage: 97, resetTime: new Date(1767385852 * 1000).toISOString() },
      { name: 'secondary', percentage: 91, resetTime: new Date(NOW + 3600_000).toISOString() },
      {
        name: 'code-review-primary',
        percentage: 100,
        resetTime: new Date(1767974794 * 1000).toISOString(),
      },
    ]);
  });

  it('should show a reached limit as zero even when used_percent lags', () => {
    const sut = parseCodexUsage(
      {
        rate_limit: {
          limit_reached: true,
          primary_window: { used_percent: 40 },
          secondary_window: { used_percent: 99 },
        },
      },
      NOW,
    );
    expect(sut.windows?.map((w) => [w.name, w.percentage])).toEqual([
      ['primary', 60],
      ['secondary', 0],
    ]);
  });
});

describe(parseKimiUsage.name, () => {
  it('should read the weekly allowance and rolling windows from string counts', () => {
    const sut = parseKimiUsage({
      user: { membershipLevel: 'LEVEL_INTERMEDIATE' },
      usage: { limit: '100', used: '26', remaining: '74', resetTime: '2026-01-05T00:00:00Z' },
      limits: [
        {
          window: { duration: 300, timeUnit: 'TIME_UNIT_MINUTE' },
          detail: { limit: '50', used: '50', resetTime: '2026-01-02T14:00:00Z' },
        },
      ],
    });
    expect(sut).toEqual({
      plan: 'LEVEL_INTERMEDIATE',
      windows: [
        { name: 'weekly', percentage: 74, resetTime: '2026-01-05T00:00:00.000Z' },
        { name: '5h', percentage: 0, resetTime: '2026-01-02T14:00:00.000Z' },
      ],
    });
  });
});

describe(parseCopilotUser.name, () => {
  it('should read paid snapshots (unlimited as full) with the reset date', () => {
    const sut = parseCopilotUser({
      copilot_plan: 'individual',
      access_type_sku: 'plus_monthly_subscriber_quota',
      quota_reset_date_utc: '2026-02-01T00:00:00.000Z',
      quota_snapshots: {
        chat: { unlimited: true, percent_remaining: 100 },
        premium_interactions: {
          unlimited: false,
          entitlement: 300,
          remaining: 120,
          percent_remaining: 40,
        },
      },
    });
    expect(sut).toEqual({
      plan: 'individual',
      tier: 'plus_monthly_subscriber_quota',
      windows: [
        { name: 'chat', percentage: 100 },
        { name: 'premium_interactions', percentage: 40, resetTime: '2026-02-01T00:00:00.000Z' },
      ],
    });
  });

  it('should compute the free plan from limited and monthly quotas', () => {
    const sut = parseCopilotUser({
      copilot_plan: 'free',
      limited_user_quotas: { chat: 10, completions: 1500 },
      monthly_quotas: { chat: 50, completions: 2000 },
      limited_user_reset_date: '2026-02-01',
    });
    expect(sut.windows).toEqual([
      { name: 'chat', percentage: 20, resetTime: '2026-02-01T00:00:00.000Z' },
      { name: 'completions', percentage: 75, resetTime: '2026-02-01T00:00:00.000Z' },
    ]);
  });
});
