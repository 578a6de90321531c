import type { WaitAnswer } from '../store/wait-store.ts';

/**
 * The port that answers a waiting Task (DESIGN.md §1: callbacks and events as one port with two
 * adapters). AWS: SendTaskSuccess / SendTaskFailure on Step Functions' task token
 * (`aws-task-tokens.ts`); local: wakes the local runner's Task handler (`local-task-tokens.ts`).
 * An answer `{ output }` becomes the Task's result `{ output }` (the compiled ResultSelector reads
 * `$.output`); `{ error, cause }` fails the Task with that error.
 */
export interface TaskTokens {
  /** Answers the Task of `token`. Throws {@link TaskTokenGoneError} when that Task no longer waits. */
  answer(token: string, answer: WaitAnswer): Promise<void>;
}

/** Base of the errors of `lib/waits`. */
export class WaitsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WaitsError';
  }
}

/** The Task of a token is not waiting any more (timed out, stopped, or an unknown token). */
export class TaskTokenGoneError extends WaitsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskTokenGone';
  }
}

/** The wait Task's payload does not have the shape the compiler gives it. */
export class InvalidWaitTaskError extends WaitsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidWaitTask';
  }
}
