export * from '@app/management/client-keys/client-key-edit';
export * from '@app/management/client-keys/client-keys.service';
export * from '@app/management/client-keys/client-keys.module';
