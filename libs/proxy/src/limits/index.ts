export * from '@app/proxy/limits/limits.metrics';
export * from '@app/proxy/limits/limits.policy';
export * from '@app/proxy/limits/limits.repository';
export * from '@app/proxy/limits/limits.service';
export * from '@app/proxy/limits/limits.table';
