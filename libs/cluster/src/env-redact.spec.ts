import { redactEnv } from '@app/cluster/env-redact';

describe(redactEnv.name, () => {
  it("should show only Switchboard's variables, with secrets redacted", () => {
    const out = redactEnv({
      PORT: '8317',
      DATA_DIR: '/data',
      AUTH_DIR: '/auths',
      REDIS_URL: 'redis://default:hunter2@redis:6379',
      MANAGEMENT_PASSWORD: 'p4ss',
      SB_PROCESS_NAME: 'gateway-1',
      SB_UPSTREAM_TOKEN: 'tok-123',
      SB_API_KEY: 'k',
      HOME: '/root',
      AWS_SECRET_ACCESS_KEY: 'nope',
      PATH: '/usr/bin',
    });
    expect(out).toEqual({
      AUTH_DIR: '/auths',
      DATA_DIR: '/data',
      MANAGEMENT_PASSWORD: '****',
      PORT: '8317',
      REDIS_URL: 'redis://default:****@redis:6379',
      SB_API_KEY: '****',
      SB_PROCESS_NAME: 'gateway-1',
      SB_UPSTREAM_TOKEN: '****',
    });
    expect(JSON.stringify(out)).not.toMatch(/hunter2|p4ss|tok-123|nope/);
  });
});
