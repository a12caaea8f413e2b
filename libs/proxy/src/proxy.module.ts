import { Module } from '@nestjs/common';
import { RoutingModule } from '@app/routing';
import { UpstreamHttp } from '@app/upstream';
import { CandidateSource } from '@app/proxy/candidate-source';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { ProxyService } from '@app/proxy/proxy.service';
import { RoutingCandidateSource } from '@app/proxy/routing-candidate-source';
import { MemoryUsageRecorder, UsageRecorder } from '@app/proxy/usage.types';

/**
 * The proxy pipeline. UsageRecorder defaults to in-memory totals; the usage store replaces it
 * (provide UsageRecorder in a module that imports this one).
 */
@Module({
  imports: [RoutingModule],
  providers: [
    ProxyService,
    ProxyMetrics,
    { provide: CandidateSource, useClass: RoutingCandidateSource },
    { provide: UpstreamHttp, useFactory: () => new UpstreamHttp() },
    { provide: UsageRecorder, useFactory: () => new MemoryUsageRecorder() },
  ],
  exports: [ProxyService, CandidateSource, UsageRecorder, ProxyMetrics, UpstreamHttp, RoutingModule],
})
export class ProxyModule {}
