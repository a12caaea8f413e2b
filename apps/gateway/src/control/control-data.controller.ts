import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { controlError } from '@app/common';
import { ErrorLogRepository, type ErrorLogFile } from '@app/logs';
import {
  AuthFilesService,
  isAccountId,
  isErrorLogName,
  summarizeErrorLog,
  type AuthFileBrief,
  type ErrorLogSummary,
} from '@app/management';
import {
  findQuotaAccount,
  isQuotaProvider,
  QUOTA_PROVIDERS,
  QuotaPollQueue,
  QuotaSnapshotRepository,
  type QuotaSnapshot,
} from '@app/quota';
import { CredentialService } from '@app/routing';
import { ControlRoute } from '@app/gateway/control/control.decorators';

function one(v: unknown): unknown {
  return Array.isArray(v) ? (v as unknown[])[0] : v;
}

/**
 * The dashboard's data routes: error logs (listed with the status code and model each one is
 * about), auth files, and the worker's latest quota snapshot per account.
 */
@Controller('api/cliproxy')
@ControlRoute()
export class ControlDataController {
  constructor(
    private readonly errorLogs: ErrorLogRepository,
    private readonly files: AuthFilesService,
    private readonly quotas: QuotaSnapshotRepository,
    private readonly polls: QuotaPollQueue,
    private readonly credentials: CredentialService,
  ) {}

  /** Every error log, newest first, with `statusCode` and `model` when the log names them. */
  @Get('error-logs')
  async listErrorLogs(): Promise<{ files: (ErrorLogFile & ErrorLogSummary)[] }> {
    const list = await this.errorLogs.list();
    const files = await Promise.all(
      list.map(async (f) => {
        const text = await this.errorLogs.get(f.name);
        return text === undefined ? f : { ...f, ...summarizeErrorLog(text) };
      }),
    );
    return { files };
  }

  /** One error log as text/plain. */
  @Get('error-logs/:name')
  async errorLog(
    @Param('name') name: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (!isErrorLogName(name)) {
      throw controlError(
        400,
        'Invalid error log filename',
        'error log names look like error-<time>-<request id>.log (no "..", "/" or "\\")',
      );
    }
    const text = await this.errorLogs.get(name);
    if (text === undefined)
      throw controlError(404, 'Error log not found', `no error log named ${name}`);
    void reply.type('text/plain; charset=utf-8');
    return text;
  }

  /** Auth file names, sizes and change times (ms), and the directory they live in. */
  @Get('auth-files')
  authFiles(): Promise<{ files: AuthFileBrief[]; directory: string }> {
    return this.files.brief();
  }

  /** One auth file as an octet-stream attachment. */
  @Get('auth-files/download')
  async download(
    @Query('name') rawName: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const name = one(rawName);
    if (typeof name !== 'string' || !name) {
      throw controlError(400, 'Bad request', 'Missing required query parameter: name');
    }
    const file = await this.files.download(name);
    void reply
      .type('application/octet-stream')
      .header('content-disposition', `attachment; filename="${file.name}"`);
    return file.data;
  }

  /**
   * The worker's latest quota snapshot of one account: `accountId` is the credential's
   * `auth_index` or auth file name, or its email while only one account of the provider has it
   * (409 with the choices otherwise). `?refresh=true` (and a missing snapshot) asks the worker
   * for an immediate poll; the answer is still the latest stored snapshot. Before the first
   * poll: 404 with `success: false` (the dashboard retries shortly).
   */
  @Get('quota/:provider/:accountId')
  async quota(
    @Param('provider') provider: string,
    @Param('accountId') accountId: string,
    @Query('refresh') refresh?: unknown,
  ): Promise<QuotaSnapshot> {
    if (!isQuotaProvider(provider)) {
      throw controlError(
        400,
        'Invalid provider',
        `Provider must be one of: ${QUOTA_PROVIDERS.join(', ')}`,
      );
    }
    if (!isAccountId(accountId)) {
      throw controlError(
        400,
        'Invalid account ID',
        'account ids are 1-256 characters without "..", "/", "\\" or control characters',
      );
    }
    const found = findQuotaAccount(this.credentials.snapshot().credentials, provider, accountId);
    if (found.kind === 'ambiguous') {
      throw controlError(
        409,
        'Ambiguous account ID',
        `${found.choices.length} ${provider} accounts have the email ${accountId}; name one by its auth_index or auth file name`,
        { success: false, choices: found.choices },
      );
    }
    if (found.kind === 'none') {
      throw controlError(
        404,
        'No quota snapshot yet',
        `no ${provider} account ${accountId} is loaded (name it by email, auth file name or auth_index)`,
        { success: false, pollRequested: false },
      );
    }
    const authIndex = found.credential.authIndex;
    const snapshot = await this.quotas.get(provider, authIndex);
    const wanted = one(refresh) === 'true' || one(refresh) === '1' || !snapshot;
    // A poll request that fails (Redis down) must not hide the snapshot.
    const requested = wanted
      ? await this.polls.requestPollOf(authIndex).then(
          () => true,
          () => false,
        )
      : false;
    if (!snapshot) {
      throw controlError(
        404,
        'No quota snapshot yet',
        requested
          ? `the worker has not polled ${provider} account ${accountId} yet; a poll was requested, try again in a few seconds`
          : `the worker has not polled ${provider} account ${accountId} yet`,
        { success: false, pollRequested: requested },
      );
    }
    return snapshot;
  }
}
