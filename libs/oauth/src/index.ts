export * from '@app/oauth/oauth-endpoints';
export * from '@app/oauth/oauth-http.repository';
export * from '@app/oauth/token-client';
export * from '@app/oauth/auth-file-update';
export * from '@app/oauth/refresh-schedule';
export * from '@app/oauth/token-refresh.service';
export * from '@app/oauth/oauth.module';
