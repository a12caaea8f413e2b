import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { resolveProcessName } from '@app/common';
import { RedisMetrics } from '@app/storage/redis.metrics';
import { RedisService } from '@app/storage/redis.service';
import { settingsFromConfig } from '@app/storage/redis.settings';
import { PROCESS_NAME } from '@app/storage/process-name';

/**
 * Provides the process's cluster name and its RedisService, built from config.yaml `redis.*`
 * (REDIS_URL wins).
 */
@Global()
@Module({})
export class StorageModule {
  static forRoot(kind: 'gateway' | 'worker'): DynamicModule {
    return {
      module: StorageModule,
      providers: [
        {
          provide: PROCESS_NAME,
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            resolveProcessName(kind, process.env, config.current.port),
        },
        {
          provide: RedisService,
          inject: [ConfigService, PROCESS_NAME],
          useFactory: (config: ConfigService, name: string) => {
            const redis = new RedisService(settingsFromConfig(config.current), name);
            redis.connect();
            return redis;
          },
        },
        // Counts and samples the request-path connection's commands for /metrics.
        RedisMetrics,
      ],
      exports: [RedisService, PROCESS_NAME, RedisMetrics],
    };
  }
}
