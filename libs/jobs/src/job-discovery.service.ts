import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ON_JOB } from '@app/jobs/on-job.decorator';
import { JobName, type JobStatus } from '@app/jobs/job.types';

export type BoundHandler = (data: unknown) => Promise<JobStatus>;

/** Finds every @OnJob method; fails at startup when a job has no handler or two. */
@Injectable()
export class JobDiscoveryService {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  handlers(): Map<JobName, BoundHandler> {
    const found = new Map<JobName, BoundHandler[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const name = this.reflector.get<JobName | undefined>(ON_JOB, fn as () => unknown);
        if (!name) continue;
        const bound = (fn as (d: unknown) => Promise<JobStatus>).bind(instance);
        found.set(name, [...(found.get(name) ?? []), bound]);
      }
    }
    const result = new Map<JobName, BoundHandler>();
    const problems: string[] = [];
    for (const name of Object.values(JobName)) {
      const list = found.get(name) ?? [];
      if (list.length === 0) problems.push(`job "${name}" has no @OnJob handler`);
      else if (list.length > 1) problems.push(`job "${name}" has ${list.length} @OnJob handlers`);
      else result.set(name, list[0]);
    }
    if (problems.length > 0)
      throw new Error(`Job catalogue is inconsistent: ${problems.join('; ')}`);
    return result;
  }
}
