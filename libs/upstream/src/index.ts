export * from '@app/upstream/upstream-http';
export * from '@app/upstream/abort-emitter';
export * from '@app/upstream/upstream-request.types';
export * from '@app/upstream/upstream.module';
