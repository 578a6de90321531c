import { toJsonPath } from '../workflow/path-ref.ts';

/**
 * Names and paths the compiled machine and the local runner agree on (DESIGN.md §2).
 * The state that runs a node is named exactly the node id; every added state has a ':' in its
 * name (a node id cannot), node helpers are `<id>:<role>`, structural states start with ':' or
 * `parallel:`.
 */
export const stateName = {
  /** Choice deciding whether the node runs (its join rule over incoming edges). */
  guard: (id: string) => `${id}:guard`,
  /** Pass recording `{ status: "skipped" }`. */
  skip: (id: string) => `${id}:skip`,
  /** Pass recording `{ status: "failed", error: { error, cause } }`. */
  failed: (id: string) => `${id}:failed`,
  /** Choice of the retry loop: another attempt, or give up. */
  retry: (id: string) => `${id}:retry`,
  /** Pass computing the next attempt number and its delay. */
  retryNext: (id: string) => `${id}:retry-next`,
  /** Wait of the retry loop (SecondsPath). */
  retryWait: (id: string) => `${id}:retry-wait`,
  /** Pass copying an exhausted retry's error into `$.run.failed` (onError: fail). */
  fatal: (id: string) => `${id}:fatal`,
  /** Pass recording a delay node as succeeded after its Wait. */
  done: (id: string) => `${id}:done`,
  /** Pass computing a mixed-text `until` timestamp before the Wait. */
  until: (id: string) => `${id}:until`,
  /** Choice running the compensation only when the node succeeded. */
  compensateIf: (id: string) => `${id}:compensate-if`,
  /** Task running the node's compensation action. */
  compensate: (id: string) => `${id}:compensate`,
  parallel: (k: number) => `parallel:${k}`,
  /** Choice after a Parallel: did a branch fail the run? */
  parallelCheck: (k: number) => `parallel:${k}:check`,
  /** Pass copying branch `i`'s fatal failure into `$.run.failed` after the join. */
  parallelFailed: (k: number, i: number) => `parallel:${k}:failed-${i}`,
  /** Succeed ending a branch early after a failed inner Parallel. */
  parallelStop: (k: number) => `parallel:${k}:stop`,
  start: ':start',
  end: ':end',
  fail: ':fail',
  failEnd: ':fail-end',
} as const;

/** JSONPath of a node's record: `$.nodes.fetchOrder`, `$.nodes['my-node']`. */
export function nodePath(id: string, ...rest: string[]): string {
  return toJsonPath({ segments: ['nodes', id, ...rest], text: '' });
}

/** JSONPath of a node's attempt counter (retry loops). */
export function attemptPath(id: string, ...rest: string[]): string {
  return toJsonPath({ segments: ['attempt', id, ...rest], text: '' });
}

/** Where a fatal failure (onError: fail) is recorded: `{ Error, Cause }`. */
export const FAILED_PATH = '$.run.failed';
