/**
 * A login request that cannot go on: the HTTP status to answer with and a message that says
 * what happened or what to do. Rendered as `{"status":"error","error":message}` (CLIProxyAPI's
 * shape for its OAuth routes) or as the callback page.
 */
export class LoginError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra fields for the JSON answer (`existing_file` for a duplicate iFlow cookie). */
    readonly extra: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'LoginError';
  }
}
