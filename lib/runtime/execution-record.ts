/**
 * The execution record every surface shows (DESIGN.md §3): `flowforge run`, `GET /executions/{id}`,
 * built from the local event log or from Step Functions history into the same shape.
 */

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'INTERRUPTED'
  | 'PENDING_REDRIVE';
/** `waiting`: a waitForCallback / waitForEvent node that waits for its answer (the run is RUNNING). */
export type NodeStatus = 'succeeded' | 'failed' | 'skipped' | 'running' | 'waiting';

export interface NodeError {
  error: string;
  cause?: string;
}

/** One run of a node's own state (see lib/runtime/node-attempts.ts). */
export interface NodeAttempt {
  startedAt: string;
  /** Absent while the attempt runs (or when a stop cut it off). */
  finishedAt?: string;
  /** The attempt failed with this error (retried, caught or final). */
  error?: NodeError;
}

export interface NodeRecord {
  status: NodeStatus;
  output?: unknown;
  error?: NodeError;
  /** `console` lines of a code node (at most 100). */
  logs?: string[];
  /** A forEach node: its items so far / in the end (DESIGN.md §2.1). */
  items?: { total: number; succeeded: number; failed: number };
  /** A node inside a forEach body: how its iterations ended (the per-item outputs are the forEach's output). */
  iterations?: { total: number; succeeded: number; failed: number; skipped: number; running: number };
  /** A body node that failed: the first item it failed for (`each[3]`); `error` is that failure's. */
  failedIteration?: string;
  startedAt?: string;
  finishedAt?: string;
  /** A node its retry policy ran more than once: every attempt in order, the last one included. */
  attempts?: NodeAttempt[];
}

export interface ExecutionRecord {
  status: ExecutionStatus;
  output?: unknown;
  error?: NodeError;
  nodes: Record<string, NodeRecord>;
  startedAt?: string;
  finishedAt?: string;
}
