import { renderGatewayError } from '@app/proxy/proxy-errors';
import {
  admitArgs,
  limitError,
  limitWindows,
  modelError,
  parseAdmitReply,
  retryAfterSeconds,
  windowFromEnv,
  admitDeadlineFromEnv,
} from '@app/proxy/limits/limits.policy';
import type { KeyLimits } from '@app/proxy/limits/limits.table';

const limits: KeyLimits = {
  keyId: 'abcd1234',
  rpm: 60,
  tpm: 1000,
  tpd: 50000,
  concurrency: 3,
  allowsModel: undefined,
  counted: true,
  countsTokens: true,
};

describe(limitWindows.name, () => {
  it('should use a real minute, five-second token buckets and hour buckets by default', () => {
    expect(limitWindows()).toEqual({
      minuteMs: 60000,
      minuteBucketMs: 5000,
      dayMs: 86400000,
      dayBucketMs: 3600000,
      leaseMs: 30000,
    });
  });

  it('should shorten only the minute for tests', () => {
    const sut = limitWindows(6000);
    expect(sut.minuteMs).toBe(6000);
    expect(sut.minuteBucketMs).toBe(500);
    expect(sut.dayMs).toBe(86400000);
  });
});

describe(windowFromEnv.name, () => {
  it('should read a shortened minute and ignore nonsense', () => {
    expect(windowFromEnv('5000')).toBe(5000);
    expect(windowFromEnv(undefined)).toBe(60000);
    expect(windowFromEnv('soon')).toBe(60000);
    expect(windowFromEnv('5')).toBe(60000);
  });
});

describe(admitDeadlineFromEnv.name, () => {
  it('should read a longer admission deadline and ignore nonsense', () => {
    expect(admitDeadlineFromEnv('5000', 250)).toBe(5000);
    expect(admitDeadlineFromEnv(undefined, 250)).toBe(250);
    expect(admitDeadlineFromEnv('later', 250)).toBe(250);
    expect(admitDeadlineFromEnv('-1', 250)).toBe(250);
  });
});

describe(admitArgs.name, () => {
  it('should pass the limits, windows and id in the script order', () => {
    expect(admitArgs(limits, limitWindows(), 'boot:1')).toEqual([
      3,
      60,
      1000,
      50000,
      60000,
      5000,
      86400000,
      3600000,
      30000,
      'boot:1',
    ]);
  });
});

describe(parseAdmitReply.name, () => {
  it('should decode admission and every refusal code', () => {
    expect(parseAdmitReply([0, 0])).toEqual({ kind: undefined, retryAfterMs: 0 });
    expect(parseAdmitReply([1, 1000]).kind).toBe('concurrency');
    expect(parseAdmitReply([2, 1234])).toEqual({ kind: 'rpm', retryAfterMs: 1234 });
    expect(parseAdmitReply([3, 5]).kind).toBe('tpm');
    expect(parseAdmitReply([4, 5]).kind).toBe('tpd');
  });

  it('should throw on anything else, so the caller fails open', () => {
    expect(() => parseAdmitReply('OK')).toThrow(/unexpected/);
    expect(() => parseAdmitReply([9, 0])).toThrow(/unknown/);
  });
});

describe(retryAfterSeconds.name, () => {
  it('should round up and never answer 0', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(59000)).toBe(59);
  });
});

describe(limitError.name, () => {
  it('should be a 429 rate_limit_exceeded with Retry-After and reset_seconds', () => {
    const sut = limitError('rpm', limits, 12_300);
    expect(sut.status).toBe(429);
    expect(sut.code).toBe('rate_limit_exceeded');
    expect(sut.headers).toEqual({ 'retry-after': '13' });
    expect(sut.details).toEqual({ reset_seconds: 13 });
    expect(sut.message).toContain('60 requests per minute');
  });

  it('should name the limit that refused', () => {
    expect(limitError('tpm', limits, 1).message).toContain('1000 tokens per minute');
    expect(limitError('tpd', limits, 1).message).toContain('50000 tokens per day');
    expect(limitError('concurrency', limits, 1).message).toContain('3 requests at a time');
  });

  it('should render in each client format with the fields clients read', () => {
    const e = limitError('rpm', limits, 5000);
    expect(renderGatewayError('openai', e)).toMatchObject({
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', reset_seconds: 5 },
    });
    expect(renderGatewayError('claude', e)).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
    });
    expect(renderGatewayError('gemini', e)).toMatchObject({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { reason: 'rate_limit_exceeded' },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '5s' },
        ],
      },
    });
  });
});

describe(modelError.name, () => {
  it('should be a 403 naming the model, PERMISSION_DENIED for Gemini', () => {
    const sut = modelError('gpt-4o');
    expect(sut.status).toBe(403);
    expect(sut.message).toContain('gpt-4o');
    expect(renderGatewayError('claude', sut)).toMatchObject({
      error: { type: 'permission_error', code: 'model_not_allowed' },
    });
    expect(renderGatewayError('gemini', sut)).toMatchObject({
      error: { code: 403, status: 'PERMISSION_DENIED' },
    });
  });
});
