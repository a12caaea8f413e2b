/** Thrown by codecs when a body is not valid for its format; the proxy answers 400. */
export class TranslationError extends Error {
  constructor(
    message: string,
    /** JSON path of the offending field, e.g. `messages[2].content`. */
    readonly path?: string,
  ) {
    super(path ? `${message} (at ${path})` : message);
    this.name = 'TranslationError';
  }
}
