import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { ConfigService } from '@app/config';
import { OAuthHttpRepository, AuthDirSink, LoginService, RedisLoginSessionStore } from '@app/oauth';
import { CredentialService } from '@app/routing';
import { PROCESS_NAME, RedisService } from '@app/storage';

/**
 * The gateway's LoginService: sessions in Redis (a callback may reach any replica), auth files
 * through routing's auth-dir repository, and a reload + announcement after each write so every
 * replica serves the new account at once.
 */
export const LOGIN_SERVICE_PROVIDER: Provider = {
  provide: LoginService,
  inject: [ConfigService, OAuthHttpRepository, RedisService, CredentialService, PROCESS_NAME],
  useFactory: (
    config: ConfigService,
    http: OAuthHttpRepository,
    redis: RedisService,
    credentials: CredentialService,
    processName: string,
  ): LoginService => {
    const logger = new Logger('OAuthLogin');
    const sink = new AuthDirSink(
      () => credentials.authFiles,
      async (name) => {
        await credentials.reloadAuthDir(`oauth login wrote ${name}`);
        // A new login replaces a refused refresh token: the account is usable again at once.
        const fresh = credentials.snapshot().credentials.find((c) => c.fileName === name);
        if (fresh) await credentials.state.clearError(fresh.authIndex);
      },
    );
    return new LoginService(() => config.current, http, new RedisLoginSessionStore(redis), sink, {
      owner: `${processName}:${process.pid}`,
      log: { log: (m) => logger.log(m), warn: (m) => logger.warn(m) },
    });
  },
};

/** Starts adopting orphaned device logins once the app is up; stops polling on shutdown. */
@Injectable()
export class LoginLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly login: LoginService) {}

  onApplicationBootstrap(): void {
    this.login.startBackgroundPolling();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.login.stop();
  }
}
