// Auth files, api-call, release feed and control-API helpers (imported as @app/management/tools).
export * from '@app/management/auth-files/auth-file-name';
export * from '@app/management/auth-files/auth-file-entry';
export * from '@app/management/auth-files/auth-file-fields';
export * from '@app/management/auth-files/auth-file-upload';
export * from '@app/management/auth-files/vertex-import';
export * from '@app/management/auth-files/multipart-upload';
export * from '@app/management/auth-files/auth-file.store';
export * from '@app/management/auth-files/auth-files.service';
export * from '@app/management/api-call/address-policy';
export * from '@app/management/api-call/api-call.request';
export * from '@app/management/api-call/api-call.service';
export * from '@app/management/release-feed/release-feed';
export * from '@app/management/release-feed/release-feed.service';
export * from '@app/management/control/error-log-summary';
export * from '@app/management/control/model-groups';
export * from '@app/management/management-tools.module';
