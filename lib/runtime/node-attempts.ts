import type { NodeAttempt, NodeError } from './execution-record.ts';

/**
 * The attempts of one node, as both record builders see them in their event logs (the AWS
 * history and the local runtime's log), so both give the same `attempts` for the same run:
 * - an attempt starts when the node's own state `<id>` is entered; a node's retry loop
 *   (lib/compiler/retry.ts) enters it once per attempt, so attempt k is the Task run with
 *   `Payload.attempt = k`;
 * - it ends at the state's failure (TaskFailed/TaskTimedOut/… in AWS, StateFailed locally),
 *   with that error, or else at the state's exit;
 * - a native retry of the Lambda service errors (the same state entry: AWS schedules the Task
 *   again, the local runtime logs StateRetried) is not a new attempt: the attempt goes on;
 * - an attempt still going (or cut off by a stop) has no `finishedAt`.
 * The record carries `attempts` only for a node that ran more than once: a single attempt is the
 * node's own `startedAt`/`finishedAt`/`error`, and records of large runs stay small.
 */
export class NodeAttempts {
  private readonly list: Array<{ startedAt: number; finishedAt?: number; error?: NodeError }> = [];

  /** The node's own state was entered (times in epoch milliseconds). */
  entered(at: number): void {
    this.list.push({ startedAt: at });
  }

  /** The node's own state failed (caught, retried by its loop, or not). */
  failed(at: number, error: NodeError): void {
    const last = this.list.at(-1);
    if (!last) return;
    last.finishedAt = at;
    last.error =
      error.cause === undefined ? { error: error.error } : { error: error.error, cause: error.cause };
  }

  /** The Lambda service error was retried natively: the same attempt runs on. */
  retried(): void {
    const last = this.list.at(-1);
    if (!last) return;
    delete last.finishedAt;
    delete last.error;
  }

  /** The node's own state exited (after a success, or after a caught failure, which keeps its time). */
  exited(at: number): void {
    const last = this.list.at(-1);
    if (last && last.finishedAt === undefined) last.finishedAt = at;
  }

  /** The record's `attempts` (ISO 8601 times), or undefined for a node that ran at most once. */
  record(): NodeAttempt[] | undefined {
    if (this.list.length < 2) return undefined;
    return this.list.map((attempt) => ({
      startedAt: new Date(attempt.startedAt).toISOString(),
      ...(attempt.finishedAt === undefined ? {} : { finishedAt: new Date(attempt.finishedAt).toISOString() }),
      ...(attempt.error ? { error: attempt.error } : {}),
    }));
  }
}
