export * from '@app/proxy/candidate-source';
export * from '@app/proxy/client-routes';
export * from '@app/proxy/models-response';
export * from '@app/proxy/proxy.metrics';
export * from '@app/proxy/proxy.service';
export * from '@app/proxy/retry.policy';
export * from '@app/proxy/stream-pump';
export * from '@app/proxy/usage.types';
