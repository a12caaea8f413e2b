import { Module } from '@nestjs/common';
import { RoutingModule } from '@app/routing';
import { CredentialActivityRepository } from '@app/usage/credential-activity.repository';
import { CredentialActivityService } from '@app/usage/credential-activity.service';
import {
  RedisUsageRecorder,
  USAGE_RECORDER_OPTIONS,
  type UsageRecorderOptions,
} from '@app/usage/redis-usage.recorder';
import { UsageMetrics } from '@app/usage/usage.metrics';
import { UsageRepository } from '@app/usage/usage.repository';
import { UsageService } from '@app/usage/usage.service';
import { TrafficRepository } from '@app/usage/traffic/traffic.repository';
import { TrafficService } from '@app/usage/traffic/traffic.service';

/** Recorder tuning from the environment: `USAGE_BUFFER_MAX` caps the in-memory buffer. */
export function recorderOptionsFromEnv(env: NodeJS.ProcessEnv): Partial<UsageRecorderOptions> {
  const raw = env.USAGE_BUFFER_MAX?.trim();
  if (!raw) return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`USAGE_BUFFER_MAX must be a positive whole number, got "${raw}"`);
  }
  return { bufferMax: n };
}

/**
 * The shared usage statistics: the Redis-backed recorder (the proxy's UsageRecorder), the
 * snapshot/export/import service, the per-credential attempt counters (fed by routing) and the
 * panel's traffic counters.
 * Needs the global Config, Metrics and Storage modules.
 */
@Module({
  imports: [RoutingModule],
  providers: [
    CredentialActivityRepository,
    CredentialActivityService,
    UsageRepository,
    UsageMetrics,
    RedisUsageRecorder,
    UsageService,
    TrafficRepository,
    TrafficService,
    { provide: USAGE_RECORDER_OPTIONS, useFactory: () => recorderOptionsFromEnv(process.env) },
  ],
  exports: [RedisUsageRecorder, UsageService, CredentialActivityService, TrafficService],
})
export class UsageModule {}
