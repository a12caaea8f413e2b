import { Module } from '@nestjs/common';
import { ConfigModule } from '@app/config';
import { PanelAssetsRepository } from '@app/gateway/panel/panel-assets.repository';
import { PanelController } from '@app/gateway/panel/panel.controller';

/** The web panel at `/management.html` (built by `vite build` into `dist/web`). */
@Module({
  imports: [ConfigModule],
  controllers: [PanelController],
  providers: [PanelAssetsRepository],
})
export class PanelModule {}
