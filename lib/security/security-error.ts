/** Base of the errors of `lib/security`: each subclass sets a stable `name` and passes `cause`. */
export class SecurityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecurityError';
  }
}
