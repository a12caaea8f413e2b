/** A control API error: rendered as `{"error": <short title>, "message": <what to do>}`. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    /** Short title (`Invalid provider`, `Proxy paused`). */
    readonly title: string,
    message: string,
    /** Extra body fields (`success: false` for quota answers). */
    readonly extra: Readonly<Record<string, unknown>> = {},
    /** Extra response headers. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ControlError';
  }

  /** The response body. */
  toBody(): Record<string, unknown> {
    return { ...this.extra, error: this.title, message: this.message };
  }
}
