import { Module } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { DEFAULT_UPSTREAM_HTTP, UpstreamHttp } from '@app/upstream/upstream-http';

/**
 * The process's outbound HTTP pools. One instance per process (Nest keeps a module's providers
 * single), shared by the proxy pipeline, the credential probe, the management `api-call` and the
 * release feed, so every caller reuses the same keep-alive connections. ConfigModule is global.
 */
@Module({
  providers: [
    {
      provide: UpstreamHttp,
      inject: [ConfigService],
      // Pool timeouts are fixed when the pools are made; header-seconds is also applied per call.
      useFactory: (config: ConfigService) => {
        const t = config.current['upstream-timeouts'];
        return new UpstreamHttp({
          ...DEFAULT_UPSTREAM_HTTP,
          connectTimeoutMs: t['connect-seconds'] * 1000,
          headersTimeoutMs: t['header-seconds'] * 1000,
          bodyTimeoutMs: t['idle-seconds'] * 1000,
        });
      },
    },
  ],
  exports: [UpstreamHttp],
})
export class UpstreamModule {}
