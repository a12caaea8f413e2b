export * from '@app/config/config.schema';
export * from '@app/config/config.loader';
export * from '@app/config/config.env';
export * from '@app/config/config.repository';
export * from '@app/config/config.service';
export * from '@app/config/config.module';
export * from '@app/config/secret-restore';
export * from '@app/config/config.preflight';
