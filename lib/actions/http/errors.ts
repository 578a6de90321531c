import { ActionError } from '../action.ts';

/** Base of the `http` action's errors; `retryAfterSeconds` is set from `Retry-After` when the server sent one. */
export class HttpActionError extends ActionError {
  retryAfterSeconds?: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'HttpActionError';
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The server answered 5xx. Retryable. */
export class Http5xxError extends HttpActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'Http5xx';
  }
}

/** The server answered 429 Too Many Requests. Retryable, after `retryAfterSeconds` when given. */
export class Http429Error extends HttpActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'Http429';
  }
}

/** The server answered 4xx (other than 429). Not retryable: the request itself is wrong. */
export class Http4xxError extends HttpActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Http4xx';
  }
}

/** The status is outside `successStatus` and neither 4xx nor 5xx (e.g. an unfollowed 3xx). Not retryable. */
export class HttpUnexpectedStatusError extends HttpActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpUnexpectedStatus';
  }
}

/** No complete response within `timeoutSeconds`. Retryable. */
export class HttpTimeoutError extends HttpActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpTimeout';
  }
}

/** The connection failed (refused, reset, DNS failure). Retryable. */
export class HttpNetworkError extends HttpActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpNetworkError';
  }
}

/** The response body is larger than `maxResponseBytes`; it is refused, never cut. Not retryable. */
export class HttpResponseTooLargeError extends HttpActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpResponseTooLarge';
  }
}

/** `responseType: "json"` but the body is not JSON. Not retryable. */
export class HttpInvalidResponseError extends HttpActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpInvalidResponse';
  }
}

/** More than 5 redirects. Not retryable. */
export class HttpTooManyRedirectsError extends HttpActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpTooManyRedirects';
  }
}

/** The SSRF guard refused the target (or a redirect hop). Not retryable. */
export class TargetRefusedError extends HttpActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetRefused';
  }
}

/** The target host's circuit is open: the call was not made. Retryable after `retryAfterSeconds`. */
export class CircuitOpenError extends HttpActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'CircuitOpen';
  }
}

/**
 * The http action's transient error names (the `name` of its errors with `retryable = true`): a
 * node's default `retryOn` retries them. The test `http-transient-errors` checks the list against
 * the classes, so it cannot drift.
 */
export const HTTP_TRANSIENT_ERRORS = [
  'Http5xx',
  'Http429',
  'HttpTimeout',
  'HttpNetworkError',
  'CircuitOpen',
] as const;
