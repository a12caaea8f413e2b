export * from '@app/quota/quota.types';
export * from '@app/quota/quota-snapshot.repository';
export * from '@app/quota/quota-normalizers';
export * from '@app/quota/quota-source';
export * from '@app/quota/quota-account';
export * from '@app/quota/quota-poll.service';
export * from '@app/quota/quota-poll.queue';
export * from '@app/quota/quota.module';
