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

/** Wraps anything that is not already a StoreError into StoreUnavailableError. */
export function translateSdkError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  return new StoreUnavailableError(`${what} failed: ${name}`, { cause: error });
}
