/** BullMQ queues of the cluster. */
export enum QueueName {
  Maintenance = 'maintenance',
  /** OAuth token refreshes (one delayed job per credential and token state). */
  OAuth = 'oauth',
  /** Quota polls (one scheduler per account, plus on-demand polls). */
  Quota = 'quota',
}

/** Every job the worker runs. */
export enum JobName {
  /** Proves the worker is alive: writes its heartbeat into Redis. */
  Heartbeat = 'heartbeat',
  /** Refresh one credential's OAuth token ahead of its expiry. */
  TokenRefresh = 'token-refresh',
  /** Poll one account's quota and store the snapshot. */
  QuotaPoll = 'quota-poll',
  /** Trim age-capped logs and usage details. */
  Retention = 'retention',
  /** Fetch the model catalog from `worker.model-catalog-url`. */
  ModelCatalogRefresh = 'model-catalog-refresh',
}

/** Payload of each job. */
export interface JobPayloads {
  [JobName.Heartbeat]: { scheduledBy: string };
  [JobName.TokenRefresh]: {
    authIndex: string;
    /** The access-token expiry the job was scheduled for (epoch ms); a changed one means done. */
    expectedExpiresAt?: number;
  };
  [JobName.QuotaPoll]: {
    authIndex: string;
    /** `on-demand` polls come from the control API's "refresh" button. */
    reason: 'scheduled' | 'on-demand';
  };
  [JobName.Retention]: { scheduledBy: string };
  [JobName.ModelCatalogRefresh]: { scheduledBy: string };
}

/** Which queue each job runs on. */
export const JOB_QUEUE: Readonly<Record<JobName, QueueName>> = {
  [JobName.Heartbeat]: QueueName.Maintenance,
  [JobName.TokenRefresh]: QueueName.OAuth,
  [JobName.QuotaPoll]: QueueName.Quota,
  [JobName.Retention]: QueueName.Maintenance,
  [JobName.ModelCatalogRefresh]: QueueName.Maintenance,
};

/** Discriminated union of all jobs. */
export type JobItem = { [N in JobName]: { name: N; data: JobPayloads[N] } }[JobName];

/** What a handler returns (recorded as the job's return value). */
export enum JobStatus {
  Success = 'success',
  Skipped = 'skipped',
  Failed = 'failed',
}
