export * from '@app/metrics/metrics.service';
export * from '@app/metrics/metrics.module';
export * from '@app/metrics/metric-series';
export * from '@app/metrics/cluster-metrics';
