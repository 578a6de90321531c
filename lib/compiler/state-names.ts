import { toJsonPath } from '../workflow/path-ref.ts';

/**
 * Names and paths the compiled machine and the local runner agree on (DESIGN.md §2).
 * The state that runs a node is named exactly the node id; every added state has a ':' in its
 * name (a node id cannot), node helpers are `<id>:<role>`, structural states start with ':'
 * (`:p3` is the third Parallel, `:p3?` the Choice after it, `:p3.1!` the stop of its branch 1).
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
  /** Task checking a forEach's items (internal `foreach` action, op `items`); the Map is named the node id. */
  forEachItems: (id: string) => `${id}:items`,
  /** Task folding a forEach's per-item results into its record (op `collect`). */
  forEachCollect: (id: string) => `${id}:collect`,
  /** Choice after collect: within tolerance or not. */
  forEachVerdict: (id: string) => `${id}:verdict`,
  /** The k-th Parallel of the machine (short: state names count against the 1 MiB definition). */
  parallel: (k: number) => `:p${k}`,
  /** Choice after a Parallel: did a branch fail the run? */
  parallelCheck: (k: number) => `:p${k}?`,
  /** Pass copying the merged failures of branch group `c` (`$.run<c>`) into `$.run` after the join. */
  parallelFailed: (k: number, c: number) => `:p${k}f${c}`,
  /** Succeed ending branch `i` of Parallel `k` after a fatal failure in it. */
  branchStop: (k: number, i: number) => `:p${k}.${i}!`,
  /** Succeed ending a branch early after a failed inner Parallel. */
  parallelStop: (k: number) => `:p${k}!`,
  start: ':start',
  end: ':end',
  fail: ':fail',
  failEnd: ':fail-end',
  /** Pass moving a bare caught error (the whole state) to `$.run.failed`, before `:fail`. */
  failBare: ':err',
} as const;

/** The structural states of one machine scope: the top level, or a forEach body (ItemProcessor). */
export interface StructuralNames {
  start: string;
  end: string;
  fail: string;
  failEnd: string;
  parallel(k: number): string;
  parallelCheck(k: number): string;
  parallelStop(k: number): string;
  parallelFailed(k: number, i: number): string;
  branchStop(k: number, i: number): string;
}

/**
 * Structural names of a scope. State names are unique across a whole machine, Map bodies included,
 * so a forEach body's are prefixed with `<forEachId>/` (`each/:end`, `each/:p1`).
 */
export function structuralNames(forEachId?: string): StructuralNames {
  if (forEachId === undefined) return stateName;
  const p = `${forEachId}/`;
  return {
    start: `${p}${stateName.start}`,
    end: `${p}${stateName.end}`,
    fail: `${p}${stateName.fail}`,
    failEnd: `${p}${stateName.failEnd}`,
    parallel: (k) => `${p}${stateName.parallel(k)}`,
    parallelCheck: (k) => `${p}${stateName.parallelCheck(k)}`,
    parallelStop: (k) => `${p}${stateName.parallelStop(k)}`,
    parallelFailed: (k, i) => `${p}${stateName.parallelFailed(k, i)}`,
    branchStop: (k, i) => `${p}${stateName.branchStop(k, i)}`,
  };
}

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
