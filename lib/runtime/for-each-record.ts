import type { ExecutionStatus, NodeError, NodeRecord, NodeStatus } from './execution-record.ts';
import { interruptedCause, isObject } from './node-record-rules.ts';

/** `items: { total, succeeded, failed }` of a forEach node record (DESIGN.md §2.1). */
export interface ItemProgress {
  total: number;
  succeeded: number;
  failed: number;
}

/** Across the iterations of its forEach: how many ran a body node, and how each ended. */
export interface IterationCounts {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  running: number;
}

interface IterationEntry {
  status?: string;
  error?: NodeError;
}

/** The `items` counts of a recorded forEach entry (`{ total, succeeded, failed }`), if it has them. */
export function itemCounts(value: unknown): ItemProgress | undefined {
  if (!isObject(value)) return undefined;
  const { total, succeeded, failed } = value;
  if (typeof total !== 'number' || typeof succeeded !== 'number' || typeof failed !== 'number')
    return undefined;
  return { total, succeeded, failed };
}

/**
 * The record rules of forEach bodies, shared by the record builders. A state inside a body carries
 * `iteration` (`each[3]`, `each[3]/inner[0]`); a node first seen in such a state is a body node, and
 * its record sums its iterations: `iterations: { total, succeeded, failed, skipped, running }`,
 * status `running` while any iteration runs it, else `failed` when any failed (with the first
 * failure's `error` and `failedIteration`), else `succeeded` when any succeeded, else `skipped`.
 * Per-item outputs are in the forEach node's output, not in the body node's record.
 * A forEach node's own record carries `items: { total, succeeded, failed }`: while its Map runs,
 * counted from the finished iterations (each ends with `{ record }` or `{ error }`).
 */
export class ForEachRecords {
  /** Body node id → iteration depth at which it lives (1 = a top-level forEach's body). */
  private readonly depth = new Map<string, number>();
  private readonly entries = new Map<string, Map<string, IterationEntry>>();
  /** Top-level forEach id → progress of its running Map. */
  private readonly progress = new Map<string, ItemProgress>();

  /** True when `id` was first seen inside a body. */
  isBodyNode(id: string): boolean {
    return this.depth.has(id);
  }

  /** Notes that a state of node `id` runs inside a body (at the depth of `iteration`). */
  markBody(id: string, iteration: string): void {
    if (!this.depth.has(id)) this.depth.set(id, iteration.split('/').length);
  }

  /**
   * Takes the `nodes` entries of a state inside a body; answers whether a body node's status changed.
   * `firstSeen` says the node had not been seen anywhere before.
   */
  observe(id: string, iteration: string, entry: IterationEntry, firstSeen: boolean): boolean {
    const level = iteration.split('/').length;
    if (firstSeen && !this.depth.has(id)) this.depth.set(id, level);
    // Outer nodes copied into a nested body's state are not that body's nodes.
    if (this.depth.get(id) !== level) return false;
    let byIteration = this.entries.get(id);
    if (!byIteration) {
      byIteration = new Map();
      this.entries.set(id, byIteration);
    }
    const before = byIteration.get(iteration)?.status;
    byIteration.set(iteration, entry);
    return before !== entry.status;
  }

  /**
   * Notes the list a top-level forEach iterates, from the entry its `<id>:items` step recorded
   * (`{ status: "running", items: [...] }` before an Inline Map, `{ status: "running", count }`
   * before a Distributed Map). Only the first call counts: later scans see the same entry.
   */
  started(forEachId: string, entry: Record<string, unknown>): void {
    if (this.progress.has(forEachId)) return;
    const total = Array.isArray(entry.items) ? entry.items.length : entry.count;
    if (typeof total === 'number') this.progress.set(forEachId, { total, succeeded: 0, failed: 0 });
  }

  /** Counts one finished iteration of the Map named `forEachId`. */
  iterationDone(forEachId: string, output: unknown): boolean {
    const progress = this.progress.get(forEachId);
    if (!progress) return false;
    if (isObject(output) && output.error !== undefined) progress.failed++;
    else progress.succeeded++;
    return true;
  }

  /** The progress of a running top-level forEach, if its Map has started. */
  progressOf(forEachId: string): ItemProgress | undefined {
    const progress = this.progress.get(forEachId);
    return progress ? { ...progress } : undefined;
  }

  /**
   * The aggregate record fields of a body node (see the class comment). With `ended` (the run's end
   * status), an iteration still running makes the node `failed` with error `Interrupted`.
   */
  bodyRecord(
    id: string,
    ended?: ExecutionStatus,
  ): Pick<NodeRecord, 'status' | 'error' | 'iterations' | 'failedIteration'> {
    const counts: IterationCounts = { total: 0, succeeded: 0, failed: 0, skipped: 0, running: 0 };
    let first: { iteration: string; error?: NodeError } | undefined;
    for (const [iteration, entry] of this.entries.get(id) ?? []) {
      counts.total++;
      const status = entry.status;
      if (status === 'succeeded' || status === 'failed' || status === 'skipped') counts[status]++;
      else counts.running++;
      if (status === 'failed' && (!first || compareIterations(iteration, first.iteration) < 0)) {
        first = entry.error ? { iteration, error: entry.error } : { iteration };
      }
    }
    let status: NodeStatus;
    if (counts.running > 0) status = 'running';
    else if (counts.failed > 0) status = 'failed';
    else if (counts.succeeded > 0) status = 'succeeded';
    else status = 'skipped';
    const record: Pick<NodeRecord, 'status' | 'error' | 'iterations' | 'failedIteration'> = {
      status,
      iterations: counts,
    };
    if (first && status === 'failed') {
      if (first.error) record.error = first.error;
      record.failedIteration = first.iteration;
    }
    if (status === 'running' && ended) {
      record.status = 'failed';
      record.error = { error: 'Interrupted', cause: interruptedCause(ended) };
    }
    return record;
  }
}

/** Orders iteration names by their indexes (`each[2]` before `each[10]`). */
function compareIterations(a: string, b: string): number {
  const indexes = (name: string) => [...name.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  const x = indexes(a);
  const y = indexes(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x.length - y.length;
}
