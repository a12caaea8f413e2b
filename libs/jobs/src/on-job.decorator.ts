import { SetMetadata } from '@nestjs/common';
import type { JobName } from '@app/jobs/job.types';

/** Metadata key marking a method as the handler of a job. */
export const ON_JOB = 'sb:on-job';

/** Mark a provider method as the handler of `name` (exactly one per job; checked at startup). */
export const OnJob = (name: JobName): MethodDecorator => SetMetadata(ON_JOB, name);
