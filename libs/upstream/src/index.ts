export * from '@app/upstream/upstream-http';
export * from '@app/upstream/abort-emitter';
