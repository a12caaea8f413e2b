import { Body, Controller, Get, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { controlError } from '@app/common';
import { ConfigService, type ConfigIssue } from '@app/config';
import { ControlRoute } from '@app/gateway/control/control.decorators';

function describeIssue(i: ConfigIssue): string {
  const where = [i.path, i.line !== undefined ? `line ${i.line}` : ''].filter(Boolean).join(', ');
  return where ? `${where}: ${i.message}` : i.message;
}

/**
 * `GET|PUT /api/cliproxy/config.yaml`: the raw file, and a whole-file replacement that is
 * validated before it replaces anything and written atomically (temp file, fsync, rename); the
 * reload is announced to every replica.
 */
@Controller('api/cliproxy/config.yaml')
@ControlRoute()
export class ControlConfigController {
  constructor(private readonly config: ConfigService) {}

  @Get()
  async get(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { text } = await this.config.readSource();
    if (text === undefined)
      throw controlError(404, 'Config file not found', `${this.config.path} does not exist`);
    void reply.type('text/yaml; charset=utf-8').header('cache-control', 'no-store');
    return text;
  }

  /** `{content}`: invalid YAML or config → 400 with the parser's messages, nothing written. */
  @Put()
  async put(@Body() body: unknown): Promise<{ success: true; path: string }> {
    const content =
      typeof body === 'object' && body !== null
        ? (body as { content?: unknown }).content
        : undefined;
    if (typeof content !== 'string')
      throw controlError(400, 'Bad request', 'Missing required field: content');
    const result = await this.config.writeText(content);
    if (!result.ok) {
      throw controlError(400, 'Invalid config', result.errors.map(describeIssue).join('; '), {
        issues: result.errors,
      });
    }
    return { success: true, path: this.config.path };
  }
}
