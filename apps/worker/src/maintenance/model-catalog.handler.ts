import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { JobName, JobStatus, OnJob, type JobPayloads } from '@app/jobs';
import { OAuthHttpRepository } from '@app/oauth';
import { ModelCatalogSync, parseCatalogs } from '@app/routing';

/**
 * Fetches the model catalog from `worker.model-catalog-url` and hands it to every process.
 * An unreachable or invalid catalog changes nothing (the last good one, else the built-in
 * one, stays); an empty URL goes back to the built-in catalog.
 */
@Injectable()
export class ModelCatalogHandler {
  private readonly logger = new Logger('ModelCatalog');

  constructor(
    private readonly config: ConfigService,
    private readonly http: OAuthHttpRepository,
    private readonly catalog: ModelCatalogSync,
  ) {}

  @OnJob(JobName.ModelCatalogRefresh)
  async handle(_data: JobPayloads[JobName.ModelCatalogRefresh]): Promise<JobStatus> {
    const url = this.config.current.worker['model-catalog-url'];
    if (!url) {
      if ((await this.catalog.stored()) === null) return JobStatus.Skipped;
      await this.catalog.publish(null);
      return JobStatus.Success;
    }
    let text: string;
    try {
      const res = await this.http.send({
        method: 'GET',
        url,
        headers: { accept: 'application/json' },
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      text = res.text;
    } catch (err) {
      this.logger.warn(
        `model catalog not fetched from ${url}: ${(err as Error).message}; keeping the current one`,
      );
      return JobStatus.Failed;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    const parsed = parseCatalogs(data);
    if ('error' in parsed) {
      this.logger.warn(`model catalog from ${url} refused: ${parsed.error}`);
      return JobStatus.Failed;
    }
    if ((await this.catalog.stored()) === text) return JobStatus.Skipped;
    await this.catalog.publish(text);
    return JobStatus.Success;
  }
}
