export * from '@app/management/attention/attention';
