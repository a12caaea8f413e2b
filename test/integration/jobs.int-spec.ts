import { Test } from '@nestjs/testing';
import { Global, Injectable, Module, type DynamicModule } from '@nestjs/common';
import {
  JobName,
  JobRepository,
  JobsModule,
  JobStatus,
  OnJob,
  QueueName,
  JobDiscoveryService,
} from '@app/jobs';
import { RedisService } from '@app/storage';
import { uniquePrefix, waitFor, testRedisSettings } from '@test/utils/env';

@Injectable()
class RecordingHandler {
  readonly seen: unknown[] = [];

  @OnJob(JobName.Heartbeat)
  async run(data: unknown): Promise<JobStatus> {
    this.seen.push(data);
    return JobStatus.Success;
  }
}

/** The rest of the catalogue, so discovery finds exactly one handler per job. */
@Injectable()
class OtherJobs {
  @OnJob(JobName.TokenRefresh)
  async refresh(): Promise<JobStatus> {
    return JobStatus.Success;
  }

  @OnJob(JobName.QuotaPoll)
  async quota(): Promise<JobStatus> {
    return JobStatus.Success;
  }

  @OnJob(JobName.Retention)
  async retention(): Promise<JobStatus> {
    return JobStatus.Success;
  }

  @OnJob(JobName.ModelCatalogRefresh)
  async catalog(): Promise<JobStatus> {
    return JobStatus.Success;
  }
}

@Injectable()
class DuplicateHandler {
  @OnJob(JobName.Heartbeat)
  async run(): Promise<JobStatus> {
    return JobStatus.Success;
  }
}

/** Provide a RedisService globally, as StorageModule does in the apps. */
function redisModule(redis: RedisService): DynamicModule {
  @Global()
  @Module({})
  class TestRedisModule {}
  return {
    module: TestRedisModule,
    providers: [{ provide: RedisService, useValue: redis }],
    exports: [RedisService],
  };
}

describe(JobRepository.name, () => {
  let redis: RedisService;

  // One connection set per test: closing a testing module runs RedisService's shutdown hook.
  beforeEach(async () => {
    redis = new RedisService(testRedisSettings(uniquePrefix('jobs')), 'test-jobs');
    redis.connect();
    await redis.waitReady(5000);
  });

  afterEach(async () => {
    await redis.close();
  });

  it('should run a repeatable job through a real BullMQ worker', async () => {
    const mod = await Test.createTestingModule({
      imports: [redisModule(redis), JobsModule],
      providers: [RecordingHandler, OtherJobs],
    }).compile();
    const handlers = mod.get(JobDiscoveryService).handlers();
    const sut = mod.get(JobRepository);
    const handler = mod.get(RecordingHandler);
    sut.startWorker(QueueName.Maintenance, (job) => handlers.get(job.name as JobName)!(job.data));
    await sut.upsertRepeatable(JobName.Heartbeat, 200, { scheduledBy: 'spec' });
    await waitFor(() => handler.seen.length >= 2, { timeoutMs: 5000, what: 'two heartbeat runs' });
    expect(handler.seen[0]).toEqual({ scheduledBy: 'spec' });
    expect(sut.workersRunning()).toBe(true);
    const counts = await sut.counts(QueueName.Maintenance);
    expect(counts.completed).toBeGreaterThanOrEqual(2);
    await sut.close();
    await mod.close();
  });

  it('should collapse duplicate enqueues that share a job id', async () => {
    const mod = await Test.createTestingModule({
      imports: [redisModule(redis), JobsModule],
      providers: [],
    }).compile();
    const sut = mod.get(JobRepository);
    // Two replicas scheduling the same token state: the catalogue gives both the same id.
    await sut.add(JobName.TokenRefresh, { authIndex: 'a1', expectedExpiresAt: 5 });
    await sut.add(JobName.TokenRefresh, { authIndex: 'a1', expectedExpiresAt: 5 });
    await sut.add(JobName.TokenRefresh, { authIndex: 'a1', expectedExpiresAt: 6 });
    expect(await sut.counts(QueueName.OAuth)).toMatchObject({ waiting: 2 });
    const job = await sut.queue(QueueName.OAuth).getJob('refresh-a1-5');
    expect(job?.opts).toMatchObject({
      attempts: 9,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnFail: true,
    });
    await sut.queue(QueueName.OAuth).obliterate({ force: true });
    await sut.close();
    await mod.close();
  });

  it('should refuse to start when a job has two handlers', async () => {
    const built = await Test.createTestingModule({
      imports: [redisModule(redis), JobsModule],
      providers: [RecordingHandler, DuplicateHandler],
    }).compile();
    expect(() => built.get(JobDiscoveryService).handlers()).toThrow(/has 2 @OnJob handlers/);
    await built.close();
  });

  it('should refuse to start when a job has no handler', async () => {
    const mod = await Test.createTestingModule({
      imports: [redisModule(redis), JobsModule],
      providers: [],
    }).compile();
    expect(() => mod.get(JobDiscoveryService).handlers()).toThrow(/has no @OnJob handler/);
    await mod.close();
  });
});
