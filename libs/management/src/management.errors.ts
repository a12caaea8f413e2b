/** A management API error: rendered as `{"error": message}` with its status (CLIProxyAPI's shape). */
export class ManagementError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ManagementError';
  }
}

/**
 * The management API is off (no `remote-management.secret-key` and no MANAGEMENT_PASSWORD): its
 * routes answer exactly like an unknown route, so nothing tells a scanner they exist.
 */
export class ManagementDisabledError extends Error {
  constructor(method: string, url: string) {
    // Nest's own text for an unmatched route.
    super(`Cannot ${method} ${url}`);
    this.name = 'ManagementDisabledError';
  }
}
