export * from '@app/quota/quota.types';
export * from '@app/quota/quota-snapshot.repository';
