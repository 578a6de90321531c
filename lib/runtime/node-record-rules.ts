import { NODE_ID_PATTERN } from '../workflow/definition-schema.ts';
import type { ExecutionStatus, NodeError, NodeStatus } from './execution-record.ts';

/**
 * Rules both record builders share — from Step Functions history (`history-to-record.ts`) and
 * from the local event log (`local/local-record-builder.ts`) — so a node reads the same in AWS and
 * locally.
 */

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A cause as the record shows it: the message only. In AWS the Cause of a Lambda function's error
 * (a Task's Catch, a failure event, a Fail state fed from it) is the runtime's JSON text
 * `{"errorType","errorMessage","trace":[…]}`; the record keeps `errorMessage` and drops the stack
 * (the function's own log line keeps it). Other strings stay as they are; anything else becomes JSON.
 */
export function causeText(cause: unknown): string {
  if (typeof cause !== 'string') return JSON.stringify(cause);
  if (!cause.startsWith('{') || !cause.includes('"errorMessage"')) return cause;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (isObject(parsed) && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not the runtime's JSON: the text is the cause.
  }
  return cause;
}

/** `{ error, cause }` from either the recorded `{ error, cause }` or the States `{ Error, Cause }` form. */
export function normaliseError(value: unknown): NodeError | undefined {
  if (!isObject(value)) return undefined;
  const name = value.error ?? value.Error;
  if (typeof name !== 'string') return undefined;
  const cause = value.cause ?? value.Cause;
  return cause === undefined ? { error: name } : { error: name, cause: causeText(cause) };
}

/** Why a node that was still running when the execution ended counts as failed. */
export function interruptedCause(status: ExecutionStatus): string {
  switch (status) {
    case 'ABORTED':
      return 'The execution was stopped while this node ran';
    case 'TIMED_OUT':
      return 'The execution timed out while this node ran';
    case 'INTERRUPTED':
      return 'The process running the execution stopped while this node ran';
    default:
      return 'The execution ended (another branch failed) while this node ran';
  }
}

/**
 * The node a state reports timing for: the state named exactly `<id>` (it runs the node) or
 * `<id>:skip` (it records the node as skipped). Other compiler-added states have a character a
 * node id cannot have and report nothing (DESIGN.md §2).
 */
export function nodeIdOfState(stateName: string): string | undefined {
  if (NODE_ID_PATTERN.test(stateName)) return stateName;
  if (stateName.endsWith(':skip')) {
    const id = stateName.slice(0, -':skip'.length);
    if (NODE_ID_PATTERN.test(id)) return id;
  }
  return undefined;
}

/**
 * The console lines a node's entry carries (`logs`: an array of strings, from the code action), or
 * undefined. Kept once seen: a later state that no longer carries them does not erase them.
 */
export function logsOf(entry: Record<string, unknown>): string[] | undefined {
  const logs = entry.logs;
  return Array.isArray(logs) && logs.every((line) => typeof line === 'string') ? logs : undefined;
}

/**
 * Keys of the machine state that hold node records (`nodes`, `nodes1`, `nodes2`, …): the compiler
 * keeps a record only while a later state reads it, in one of a few reused containers, each
 * holding `{ <nodeId>: record }` (lib/compiler/state-slots.ts). Every record is written once into
 * a state's output, so the latest entry seen for an id is the node's record.
 */
export const RECORD_CONTAINER = /^nodes\d*$/;

/** The node records `[id, record]` a state (input or output) carries, across every container. */
export function nodeEntries(data: unknown): Array<[string, Record<string, unknown>]> {
  const entries: Array<[string, Record<string, unknown>]> = [];
  if (!isObject(data)) return entries;
  for (const [key, container] of Object.entries(data)) {
    if (!RECORD_CONTAINER.test(key) || !isObject(container)) continue;
    for (const [id, value] of Object.entries(container)) if (isObject(value)) entries.push([id, value]);
  }
  return entries;
}

/**
 * The ids of every node of the machine, as the failure path lists them in `run.all` (a failing run
 * reports the nodes it never reached as `skipped`); empty for any other state.
 */
export function failurePathNodeIds(data: unknown): string[] {
  if (!isObject(data) || !isObject(data.run) || !Array.isArray(data.run.all)) return [];
  return data.run.all.filter((id): id is string => typeof id === 'string');
}

const FINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'skipped']);

/** What both record builders know of a node when they decide its status. */
export interface NodeEvidence {
  /** The latest entry of `nodes.<id>` seen in any record container. */
  entry?: { status?: string; error?: NodeError; hasOutput: boolean };
  /** Where the node's own states are. */
  phase?: 'running' | 'failed' | 'done';
  /** The error of the node's latest failure event. */
  lastError?: NodeError;
}

/**
 * A node's status (before the run's end or a wait is applied) and its error: a final status in its
 * entry wins; an entry without one is `running` (a caught error waiting for the next attempt),
 * unless it has an output and the node's state exited normally (an action's success record, whose
 * status the compiler leaves out where nothing reads it, lib/compiler/unread-statuses.ts); a node
 * without an entry takes its status from its own states.
 */
export function nodeStatusOf(node: NodeEvidence): { status: NodeStatus; error?: NodeError } {
  const entryStatus = node.entry?.status;
  if (entryStatus !== undefined && FINAL_STATUSES.has(entryStatus)) {
    const status = entryStatus as NodeStatus;
    const error = node.entry?.error ?? (status === 'failed' ? node.lastError : undefined);
    return error === undefined ? { status } : { status, error };
  }
  if (node.entry && !(node.phase === 'done' && node.entry.hasOutput)) return { status: 'running' };
  if (node.phase === 'failed')
    return node.lastError === undefined ? { status: 'failed' } : { status: 'failed', error: node.lastError };
  return { status: node.phase === 'done' ? 'succeeded' : 'running' };
}
