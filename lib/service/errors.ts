/**
 * Errors of the service use cases. Each names the HTTP-independent reason a request is refused;
 * the API's one error handler maps them to problem+json statuses (functions/shared/http/problem.ts).
 */

/** One problem with a request, at a JSON pointer (`/nodes/2/dependencies/0`). */
export interface FieldError {
  path: string;
  message: string;
}

/** Base of the service errors. */
export class ServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

/** The request body (a definition, an input, a parameter) is invalid; `errors` name each field. */
export class RequestValidationError extends ServiceError {
  constructor(
    message: string,
    readonly errors: FieldError[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RequestValidation';
  }
}

/** The request is well formed but cannot be carried out (a definition the compiler refuses). */
export class UnprocessableError extends ServiceError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'Unprocessable';
  }
}

/** The resource does not exist for this tenant (another tenant's resource is reported the same way). */
export class ResourceNotFoundError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResourceNotFound';
  }
}

/** The resource changed since the version the caller read (stale `If-Match`), or the state forbids the action. */
export class ConflictError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Conflict';
  }
}

/** The version an update is based on (`If-Match`) is no longer the latest: another update won. */
export class PreconditionFailedError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PreconditionFailed';
  }
}

/** An `Idempotency-Key` already started an execution with another request body. */
export class IdempotencyKeyReusedError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdempotencyKeyReused';
  }
}

/** An update came without the version it is based on (`If-Match`). */
export class PreconditionRequiredError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PreconditionRequired';
  }
}

/** No credentials, or credentials that are not valid; `reason` says which. */
export class UnauthorizedError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Unauthorized';
  }
}

/** Valid credentials without the scope the operation needs. */
export class ForbiddenError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Forbidden';
  }
}

/** The caller's rate limit is used up; try again after `retryAfterSeconds`. */
export class TooManyRequestsError extends ServiceError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: {
      cause?: unknown;
      /** The bucket that ran out (`RateLimit-Policy`): its name, burst and refill per second. */
      policy?: { name: string; capacity: number; refillPerSecond: number };
    },
  ) {
    super(message, options);
    this.name = 'TooManyRequests';
    this.policy = options?.policy;
  }

  readonly policy: { name: string; capacity: number; refillPerSecond: number } | undefined;
}

/** The request is larger than what it is for can hold (e.g. an execution input over Step Functions' 256 KiB): 413. */
export class RequestTooLargeError extends ServiceError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RequestTooLarge';
  }
}
