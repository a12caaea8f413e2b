import { Module } from '@nestjs/common';
import { RoutingModule } from '@app/routing';
import { OAuthHttpRepository } from '@app/oauth/oauth-http.repository';
import { TokenRefreshService } from '@app/oauth/token-refresh.service';

/**
 * OAuth token refresh (worker jobs and the gateway's inline refresh) and the HTTP client for
 * token and quota endpoints. Needs ConfigService, RedisService and MetricsService from the
 * global modules.
 */
@Module({
  imports: [RoutingModule],
  providers: [OAuthHttpRepository, TokenRefreshService],
  exports: [OAuthHttpRepository, TokenRefreshService],
})
export class OAuthModule {}
