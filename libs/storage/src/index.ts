export * from '@app/storage/redis.options';
export * from '@app/storage/redis.service';
export * from '@app/storage/redis.instrument';
export * from '@app/storage/redis.metrics';
export * from '@app/storage/redis.settings';
export * from '@app/storage/storage.module';
export * from '@app/storage/process-name';
export * from '@app/storage/config-sync.service';
