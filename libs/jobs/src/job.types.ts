/** BullMQ queues of the cluster. */
export enum QueueName {
  Maintenance = 'maintenance',
}

/** Every job the worker runs. */
export enum JobName {
  /** Proves the worker is alive: writes its heartbeat into Redis. */
  Heartbeat = 'heartbeat',
}

/** Payload of each job. */
export interface JobPayloads {
  [JobName.Heartbeat]: { scheduledBy: string };
}

/** Which queue each job runs on. */
export const JOB_QUEUE: Readonly<Record<JobName, QueueName>> = {
  [JobName.Heartbeat]: QueueName.Maintenance,
};

/** Discriminated union of all jobs. */
export type JobItem = { [N in JobName]: { name: N; data: JobPayloads[N] } }[JobName];

/** What a handler returns (recorded as the job's return value). */
export enum JobStatus {
  Success = 'success',
  Skipped = 'skipped',
  Failed = 'failed',
}
