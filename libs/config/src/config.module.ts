import { Global, Module } from '@nestjs/common';
import { ConfigRepository } from '@app/config/config.repository';
import { ConfigService } from '@app/config/config.service';

/** Provides the loaded config to every module (ConfigService is ready when injected). */
@Global()
@Module({
  providers: [
    ConfigRepository,
    {
      provide: ConfigService,
      inject: [ConfigRepository],
      useFactory: async (repo: ConfigRepository): Promise<ConfigService> => {
        const service = new ConfigService(repo);
        await service.init();
        return service;
      },
    },
  ],
  exports: [ConfigService, ConfigRepository],
})
export class ConfigModule {}
