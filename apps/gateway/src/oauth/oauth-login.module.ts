import { Module } from '@nestjs/common';
import { ManagementModule } from '@app/management';
import { OAuthModule } from '@app/oauth';
import { RoutingModule } from '@app/routing';
import { OAuthCallbackController } from '@app/gateway/oauth/oauth-callback.controller';
import { OAuthLoginController } from '@app/gateway/oauth/oauth-login.controller';
import { LOGIN_SERVICE_PROVIDER, LoginLifecycle } from '@app/gateway/oauth/login.provider';

/** OAuth logins: the management routes, the browser landing pages, device-flow polling. */
@Module({
  imports: [ManagementModule, OAuthModule, RoutingModule],
  controllers: [OAuthLoginController, OAuthCallbackController],
  providers: [LOGIN_SERVICE_PROVIDER, LoginLifecycle],
})
export class OAuthLoginModule {}
