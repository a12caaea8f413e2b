/** The cluster API's error codes (docs/cluster.md) with their HTTP status. */
export const CLUSTER_ERRORS = {
  PROCESS_NOT_FOUND: 404,
  PROCESS_ALREADY_RUNNING: 409,
  PROCESS_NOT_RUNNING: 409,
  INVALID_PATTERN: 400,
  INVALID_PARAMETER: 400,
  SHUTDOWN_IN_PROGRESS: 503,
  PROCESS_UNREACHABLE: 504,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  REDIS_UNAVAILABLE: 503,
} as const;

export type ClusterErrorCode = keyof typeof CLUSTER_ERRORS;

/** A cluster API failure, rendered as `{"error": message, "code": code}`. */
export class ClusterApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ClusterErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterApiError';
    this.status = CLUSTER_ERRORS[code];
  }

  /** The response body. */
  toBody(): { error: string; code: ClusterErrorCode } {
    return { error: this.message, code: this.code };
  }
}
