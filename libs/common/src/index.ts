export * from '@app/common/errors';
export * from '@app/common/render-error';
export * from '@app/common/net';
export * from '@app/common/secrets';
export * from '@app/common/uptime';
export * from '@app/common/build-info';
export * from '@app/common/process-name';
export * from '@app/common/shutdown';
