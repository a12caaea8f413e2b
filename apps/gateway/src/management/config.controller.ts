import { Body, Controller, Get, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { managementError } from '@app/common';
import type { ConfigIssue } from '@app/config';
import { ManagementRoute, ConfigRoutesService } from '@app/management';

/** A refused config.yaml: CLIProxyAPI's error code and message, plus each problem located. */
interface RefusedYaml {
  error: 'invalid_yaml' | 'invalid_config';
  message: string;
  issues: ConfigIssue[];
}

/** CLIProxyAPI's answer (`ok`, `changed`) plus the `status` every other management write sends. */
interface ReplacedYaml {
  ok: true;
  status: 'ok';
  changed: string[];
}

/** `/v0/management/config` and `/v0/management/config.yaml`. */
@Controller('v0/management')
@ManagementRoute()
export class ConfigController {
  constructor(private readonly routes: ConfigRoutesService) {}

  /** The config in force as JSON: every key with its default filled in, secrets in the clear. */
  @Get('config')
  config(): Record<string, unknown> {
    return this.routes.inForce();
  }

  /** config.yaml byte for byte, comments included. */
  @Get('config.yaml')
  async yaml(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const text = await this.routes.readText();
    if (text === undefined) throw managementError(404, 'config file not found');
    void reply
      .header('content-type', 'application/yaml; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff');
    return text;
  }

  /**
   * Replace config.yaml with the raw request body (Content-Type application/yaml, text/yaml or
   * text/plain). The text is validated first: any YAML or schema problem is a 400 listing every
   * problem with its line, and nothing is written. Valid text replaces the file atomically and
   * every replica reloads it.
   */
  @Put('config.yaml')
  async replace(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReplacedYaml | RefusedYaml> {
    if (typeof body !== 'string') {
      throw managementError(
        400,
        'send config.yaml as the raw request body with Content-Type: application/yaml (or text/plain)',
      );
    }
    const result = await this.routes.replaceText(body);
    if (!result.ok) {
      void reply.status(400);
      return { error: result.error, message: result.message, issues: result.issues };
    }
    return { ok: true, status: 'ok', changed: result.changed ? ['config'] : [] };
  }
}
