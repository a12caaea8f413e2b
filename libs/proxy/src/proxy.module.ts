import { Module } from '@nestjs/common';
import { OAuthModule } from '@app/oauth';
import { RoutingModule } from '@app/routing';
import { UpstreamModule } from '@app/upstream';
import { CandidateSource } from '@app/proxy/candidate-source';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { ProxyService } from '@app/proxy/proxy.service';
import { AdmissionService, ClientKeyService, PauseService } from '@app/proxy/admission';
import { Delivery } from '@app/proxy/delivery/delivery.service';
import { Accounting } from '@app/proxy/pipeline/accounting.service';
import { AttemptReport } from '@app/proxy/pipeline/attempt-report';
import { UpstreamAttempt } from '@app/proxy/pipeline/attempt.service';
import { Failover } from '@app/proxy/pipeline/failover.service';
import { CredentialProbe } from '@app/proxy/credential-probe';
import { RoutingCandidateSource } from '@app/proxy/routing-candidate-source';
import {
  FanOutUsageRecorder,
  UsageRecorder,
  RedisUsageRecorder,
  TrafficService,
  UsageModule,
} from '@app/usage';
import { ExchangeRecorder, ExchangeLogRecorder, LogsModule, RequestLogRecorder } from '@app/logs';
import { RelayChannels } from '@app/proxy/relay/relay-channels';
import { RelayDirectory } from '@app/proxy/relay/relay-directory';
import { RelayHub } from '@app/proxy/relay/relay-hub';
import { LimitsMetrics, LimitsRepository, LimitsService } from '@app/proxy/limits';

/**
 * The proxy pipeline. Each finished request's usage record goes to the shared usage store and
 * the panel's traffic counters (libs/usage) and the shared request log (libs/logs); its exchange (headers and bodies) goes
 * to the full request log or, when it failed, to the error logs.
 */
@Module({
  imports: [RoutingModule, UpstreamModule, UsageModule, LogsModule, OAuthModule],
  providers: [
    // The pipeline, seam by seam (docs/architecture.md, "One request").
    ProxyService,
    AdmissionService,
    PauseService,
    ClientKeyService,
    Failover,
    UpstreamAttempt,
    AttemptReport,
    Delivery,
    Accounting,
    CredentialProbe,
    ProxyMetrics,
    { provide: CandidateSource, useClass: RoutingCandidateSource },
    {
      provide: UsageRecorder,
      inject: [RedisUsageRecorder, RequestLogRecorder, LimitsService, TrafficService],
      useFactory: (
        usage: RedisUsageRecorder,
        requests: RequestLogRecorder,
        limits: LimitsService,
        traffic: TrafficService,
      ) => new FanOutUsageRecorder([usage, requests, limits, traffic]),
    },
    // Per-key limits (docs/limits.md); also a usage sink, for the token windows.
    LimitsService,
    LimitsRepository,
    LimitsMetrics,
    // Full request logs and error logs (libs/logs); the gateway's refusal capture adds the
    // errors answered before the pipeline (413, unknown routes, bad keys).
    { provide: ExchangeRecorder, useExisting: ExchangeLogRecorder },
    // The /v1/ws relay: live connections as aistudio credentials, and their transport.
    RelayChannels,
    RelayDirectory,
    RelayHub,
  ],
  exports: [
    ProxyService,
    PauseService,
    ClientKeyService,
    ExchangeRecorder,
    CredentialProbe,
    CandidateSource,
    UsageRecorder,
    ProxyMetrics,
    UpstreamModule,
    RoutingModule,
    RelayHub,
    LimitsService,
  ],
})
export class ProxyModule {}
