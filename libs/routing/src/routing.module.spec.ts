import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import { RedisService } from '@app/storage';
import { CredentialService } from '@app/routing/credential.service';
import { RoutingModule } from '@app/routing/routing.module';

describe(RoutingModule.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-routing-module-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should wire CredentialService from the global config and Redis providers and load at init', async () => {
    const config = {
      current: {
        'auth-dir': join(dir, 'auths'),
        'claude-api-key': [{ 'api-key': 'sk-ant-module-test' }],
      },
      onChange: () => () => undefined,
    };
    const redis = {
      isReady: false,
      key: (...parts: string[]) => parts.join(':'),
      subscribe: () => () => undefined,
      publish: async () => false,
    };

    @Global()
    @Module({
      providers: [
        { provide: ConfigService, useValue: config },
        { provide: RedisService, useValue: redis },
        MetricsService,
      ],
      exports: [ConfigService, RedisService, MetricsService],
    })
    class Globals {}

    const app = await Test.createTestingModule({ imports: [Globals, RoutingModule] }).compile();
    await app.init();
    try {
      const sut = app.get(CredentialService);
      expect(sut.providerSummary()).toEqual({ count: 1, active: ['claude'] });
      expect(sut.resolve('claude-sonnet-4-5-20250929')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
