import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigService } from '@app/config';
import { PanelAssetsRepository, type PanelFile } from '@app/gateway/panel/panel-assets.repository';
import {
  ASSET_CACHE,
  HTML_CACHE,
  PANEL_SECURITY_HEADERS,
  acceptsGzip,
  isFresh,
} from '@app/gateway/panel/panel-http';

/**
 * The web panel: `GET /management.html` and its hashed assets under `/management/assets/`.
 * `remote-management.disable-control-panel: true` hides both (404, like an unknown route),
 * checked on every request so a config reload takes effect at once.
 */
@Controller()
export class PanelController {
  constructor(
    private readonly config: ConfigService,
    private readonly files: PanelAssetsRepository,
  ) {}

  @Get('management.html')
  async page(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.ensureEnabled(req);
    const file = await this.files.page();
    if (!file) {
      throw new NotFoundException(
        `The web panel is not built into this gateway (${this.files.root}/management.html is missing): run \`npm run build\``,
      );
    }
    await send(req, reply, file, HTML_CACHE);
  }

  @Get('management/assets/:file')
  async asset(
    @Param('file') name: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.ensureEnabled(req);
    const file = await this.files.asset(name);
    if (!file) throw new NotFoundException(`Cannot GET ${req.url.split('?')[0]}`);
    await send(req, reply, file, ASSET_CACHE);
  }

  private ensureEnabled(req: FastifyRequest): void {
    if (this.config.current['remote-management']['disable-control-panel']) {
      throw new NotFoundException(`Cannot ${req.method} ${req.url.split('?')[0]}`);
    }
  }
}

async function send(
  req: FastifyRequest,
  reply: FastifyReply,
  file: PanelFile,
  cacheControl: string,
): Promise<void> {
  void reply
    .headers(PANEL_SECURITY_HEADERS)
    .header('cache-control', cacheControl)
    .header('etag', file.etag)
    .header('vary', 'accept-encoding');
  if (isFresh(req.headers['if-none-match'], file.etag)) {
    await reply.status(304).send();
    return;
  }
  void reply.header('content-type', file.type);
  if (file.gzip && acceptsGzip(req.headers['accept-encoding'])) {
    await reply.header('content-encoding', 'gzip').send(file.gzip);
    return;
  }
  await reply.send(file.body);
}
