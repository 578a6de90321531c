/**
 * Errors of the store. Adapters translate DynamoDB SDK errors into these; callers map them to
 * HTTP (NotFound → 404, VersionConflict → 409, AlreadyExists → 409, InvalidCursor → 400,
 * ItemTooLarge → 413, StoreUnavailable → 503).
 */

/** Base of every store error. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** The record does not exist for this tenant (or is deleted, or its id is malformed). */
export class NotFoundError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** A conditional write lost: the expected version (or status) is stale. */
export class VersionConflictError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VersionConflictError';
  }
}

/** A create found its key taken. */
export class AlreadyExistsError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlreadyExistsError';
  }
}

/** A pagination cursor that is malformed, tampered with, or from another listing or tenant. */
export class InvalidCursorError extends StoreError {
  constructor(message = 'invalid pagination cursor', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidCursorError';
  }
}

/** A record that cannot fit a DynamoDB item even compressed and split. */
export class ItemTooLargeError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ItemTooLargeError';
  }
}

/** DynamoDB failed or throttled beyond the SDK's retries; `cause` holds the SDK error. */
export class StoreUnavailableError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** True for the SDK's ConditionalCheckFailedException (by name: the class differs per client instance). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

const UNAVAILABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/**
 * True for failures worth a retry later: throttling, DynamoDB 5xx, network errors (no HTTP
 * response at all).
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdk = error as { $fault?: string; $retryable?: unknown; $metadata?: unknown; code?: string };
  if (UNAVAILABLE.has(error.name) || sdk.$fault === 'server' || sdk.$retryable !== undefined) return true;
  return sdk.$metadata === undefined && typeof sdk.code === 'string';
}

/**
 * Translates an SDK error: a StoreError passes through; throttling, 5xx and network failures
 * become StoreUnavailableError (→ 503); anything else (a request DynamoDB refused) a StoreError.
 */
export function translateSdkError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  if (isUnavailable(error)) return new StoreUnavailableError(`${what} failed: ${name}`, { cause: error });
  return new StoreError(`${what} failed: ${name}`, { cause: error });
}
