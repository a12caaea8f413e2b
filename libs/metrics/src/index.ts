export * from '@app/metrics/metrics.service';
export * from '@app/metrics/metrics.module';
