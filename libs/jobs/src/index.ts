export * from '@app/jobs/job.types';
export * from '@app/jobs/on-job.decorator';
export * from '@app/jobs/job.repository';
export * from '@app/jobs/job-discovery.service';
export * from '@app/jobs/jobs.module';
export * from '@app/jobs/job.options';
