import { Module } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { RoutingModule } from '@app/routing';
import { DEFAULT_UPSTREAM_HTTP, UpstreamHttp } from '@app/upstream';
import { CandidateSource } from '@app/proxy/candidate-source';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { ProxyService } from '@app/proxy/proxy.service';
import { RoutingCandidateSource } from '@app/proxy/routing-candidate-source';
import { FanOutUsageRecorder, UsageRecorder } from '@app/proxy/usage.types';
import { LogsModule, RequestLogRecorder } from '@app/logs';
import { RedisUsageRecorder, UsageModule } from '@app/usage';

/**
 * The proxy pipeline. Each finished request's usage record goes to the shared usage store
 * (libs/usage) and the shared request log (libs/logs).
 */
@Module({
  imports: [RoutingModule, UsageModule, LogsModule],
  providers: [
    ProxyService,
    ProxyMetrics,
    { provide: CandidateSource, useClass: RoutingCandidateSource },
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
    {
      provide: UsageRecorder,
      inject: [RedisUsageRecorder, RequestLogRecorder],
      useFactory: (usage: RedisUsageRecorder, requests: RequestLogRecorder) =>
        new FanOutUsageRecorder([usage, requests]),
    },
  ],
  exports: [
    ProxyService,
    CandidateSource,
    UsageRecorder,
    ProxyMetrics,
    UpstreamHttp,
    RoutingModule,
  ],
})
export class ProxyModule {}
