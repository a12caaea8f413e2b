import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { managementError } from '@app/common';
import {
  ManagementRoute,
  AuthFilesService,
  deleteTargets,
  isMultipart,
  rawUploadText,
  readMultipart,
  type AuthFileRow,
  type AuthFileModel,
  type BatchOutcome,
  type ModelDefinition,
  type UploadedFile,
} from '@app/management';

type Ok = { status: 'ok' };

/** A query value given once or repeated: the first string. */
function one(v: unknown): unknown {
  return Array.isArray(v) ? (v as unknown[])[0] : v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A batch of one answers like a single call: its own status and error. */
function single(out: BatchOutcome): Ok {
  const f = out.failed[0];
  if (f) throw managementError(f.status, f.error);
  return { status: 'ok' };
}

/**
 * `/v0/management` auth-file routes (CLIProxyAPI semantics): list, models per file, catalog
 * definitions per channel, download, upload (multipart, one or many; or a raw JSON body with
 * `?name=`), delete, enable/disable, field edits and the Vertex service-account import.
 */
@Controller('v0/management')
@ManagementRoute()
export class AuthFilesController {
  constructor(private readonly files: AuthFilesService) {}

  /** Every auth file, sorted by name, with its credential fields and runtime state. */
  @Get('auth-files')
  async list(): Promise<{ files: AuthFileRow[] }> {
    return { files: await this.files.list() };
  }

  /** The models the credential of `?name=` serves. */
  @Get('auth-files/models')
  async models(@Query('name') name: unknown): Promise<{ models: AuthFileModel[] }> {
    return { models: await this.files.models(one(name)) };
  }

  /** The file itself, as an attachment. */
  @Get('auth-files/download')
  async download(
    @Query('name') name: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const file = await this.files.download(one(name));
    void reply
      .header('content-type', 'application/json')
      .header('content-disposition', `attachment; filename="${file.name}"`);
    return file.data;
  }

  /** The built-in models of a channel (`claude`, `gemini-cli`, `codex`…). */
  @Get('model-definitions/:channel')
  definitions(@Param('channel') channel: string): { channel: string; models: ModelDefinition[] } {
    const models = this.files.modelDefinitions(channel);
    if (!models) {
      throw managementError(
        400,
        `unknown channel "${channel.slice(0, 64)}" (use a provider id such as claude, codex, gemini-cli)`,
      );
    }
    return { channel: channel.trim().toLowerCase(), models };
  }

  /**
   * Upload: multipart with one or many files (each validated; 207 with per-file results when
   * some fail), or a raw JSON body named by `?name=`.
   */
  @Post('auth-files')
  @HttpCode(200)
  async upload(
    @Req() req: FastifyRequest,
    @Query('name') name: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Ok | Record<string, unknown>> {
    let files: UploadedFile[];
    if (isMultipart(req)) {
      files = (await readMultipart(req)).files;
      if (files.length === 0) throw managementError(400, 'no files uploaded');
    } else {
      const text = rawUploadText(req.body);
      if (text === undefined) {
        throw managementError(
          400,
          'empty body: send the auth file as multipart/form-data, or its JSON with ?name=<file>.json',
        );
      }
      const n = one(name);
      files = [{ name: typeof n === 'string' ? n : '', text }];
    }
    const out = await this.files.upload(files);
    if (files.length === 1) return single(out);
    const body = { uploaded: out.done.length, files: out.done };
    if (out.failed.length === 0) return { status: 'ok', ...body };
    void reply.status(207);
    return {
      status: 'partial',
      ...body,
      failed: out.failed.map(({ name: n, error }) => ({ name: n, error })),
    };
  }

  /** Delete `?name=` (repeatable), the names of a JSON body, or everything with `?all=true`. */
  @Delete('auth-files')
  async remove(
    @Query() query: unknown,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Ok | Record<string, unknown>> {
    const targets = deleteTargets(query, body);
    if ('error' in targets) throw managementError(400, targets.error);
    if (targets.all) return { status: 'ok', deleted: await this.files.removeAll() };
    if (targets.names.length === 0) {
      throw managementError(
        400,
        'invalid name: give ?name=<file>.json (repeatable), a JSON body {"names": [...]} or ?all=true',
      );
    }
    const out = await this.files.remove(targets.names);
    if (targets.names.length === 1) return single(out);
    const result = { deleted: out.done.length, files: out.done };
    if (out.failed.length === 0) return { status: 'ok', ...result };
    void reply.status(207);
    return {
      status: 'partial',
      ...result,
      failed: out.failed.map(({ name, error }) => ({ name, error })),
    };
  }

  /** `{name, disabled}`: enable or disable one auth file. */
  @Patch('auth-files/status')
  async status(@Body() body: unknown): Promise<Ok & { disabled: boolean }> {
    const b = isObject(body) ? body : {};
    if (typeof b.name !== 'string' || !b.name.trim())
      throw managementError(400, 'name is required');
    if (typeof b.disabled !== 'boolean')
      throw managementError(400, 'disabled is required (true or false)');
    await this.files.setDisabled(b.name, b.disabled);
    return { status: 'ok', disabled: b.disabled };
  }

  /** `{name, prefix?, proxy_url?, priority?, note?, headers?, excluded_models?, disable_cooling?}`. */
  @Patch('auth-files/fields')
  async fields(@Body() body: unknown): Promise<Ok> {
    if (!isObject(body)) throw managementError(400, 'invalid request body');
    const { name, ...patch } = body;
    if (typeof name !== 'string' || !name.trim()) throw managementError(400, 'name is required');
    await this.files.patchFields(name, patch);
    return { status: 'ok' };
  }

  /**
   * A Google service-account key (multipart field `file`, or the JSON as the body) becomes
   * `vertex-<project>.json`; `location` from the form or the query (default us-central1).
   */
  @Post('vertex/import')
  @HttpCode(200)
  async importVertex(
    @Req() req: FastifyRequest,
    @Query('location') location: unknown,
  ): Promise<Record<string, unknown>> {
    let account: unknown = req.body;
    let region = typeof one(location) === 'string' ? (one(location) as string) : undefined;
    if (isMultipart(req)) {
      const form = await readMultipart(req);
      const file = form.files[0];
      if (!file) throw managementError(400, 'file required');
      try {
        account = JSON.parse(file.text);
      } catch (err) {
        throw managementError(400, `invalid json: ${(err as Error).message}`);
      }
      region = form.fields.location || region;
    } else if (account === undefined || account === null || account === '') {
      throw managementError(400, 'file required');
    } else if (typeof account === 'string') {
      try {
        account = JSON.parse(account);
      } catch (err) {
        throw managementError(400, `invalid json: ${(err as Error).message}`);
      }
    }
    const r = await this.files.importVertex(account, region);
    return {
      status: 'ok',
      'auth-file': r.name,
      project_id: r.project_id,
      email: r.email,
      location: r.location,
    };
  }
}
