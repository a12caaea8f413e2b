export * from '@app/upstream/upstream-http';
