import { ActionError } from '../action.ts';

/** Where a thrown exception or a syntax error sits in `source` (1-based; absent when unknown). */
export interface CodeLocation {
  line?: number;
  column?: number;
}

/**
 * The code threw (or returned something that is not JSON, or does not parse). Not retryable.
 * `cause` is `{ name, message, line?, column? }`: the exception's name and message and where in
 * `source` it was thrown, and the error message says the same in words.
 */
export class CodeError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodeError';
  }
}

/** The code ran longer than `timeoutMs`, or returned a promise that can never settle. Not retryable. */
export class CodeTimeoutError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodeTimeout';
  }
}

/** The code needed more than `memoryMb` of the sandbox's memory. Not retryable. */
export class CodeMemoryLimitError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodeMemoryLimit';
  }
}
