import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigRepository, ConfigService } from '@app/config';
import { resolveProcessName } from '@app/common';
import { KeyLayoutMigration } from '@app/storage/key-layout.migration';
import { RedisMetrics } from '@app/storage/redis.metrics';
import { RedisService } from '@app/storage/redis.service';
import { settingsFromConfig } from '@app/storage/redis.settings';
import { PROCESS_NAME } from '@app/storage/process-name';
import { ConfigStoreService } from '@app/storage/config-store/config-store.service';
import {
  CONFIG_STORE_OPTIONS,
  type ConfigStoreOptions,
} from '@app/storage/config-store/config-store.options';

/**
 * Provides the process's cluster name, its RedisService (built from config.yaml `redis.*`,
 * REDIS_URL wins) and the config store (inert unless `config-store: redis`; bootstrapped before
 * anything that injects it, so credentials load from the store).
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
        {
          provide: ConfigStoreService,
          inject: [
            ConfigService,
            RedisService,
            ConfigRepository,
            PROCESS_NAME,
            { token: CONFIG_STORE_OPTIONS, optional: true },
          ],
          useFactory: async (
            config: ConfigService,
            redis: RedisService,
            files: ConfigRepository,
            name: string,
            options: ConfigStoreOptions | undefined,
          ) => {
            const store = new ConfigStoreService(config, redis, files, name, options);
            await store.start();
            return store;
          },
        },
        // Moves an older version's keys to the hash-tagged layout once Redis answers.
        KeyLayoutMigration,
      ],
      exports: [RedisService, PROCESS_NAME, RedisMetrics, ConfigStoreService],
    };
  }
}
