export * from '@app/providers/provider.types';
export * from '@app/providers/provider-registry';
