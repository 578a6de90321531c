import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type {
  ExecutionRecord,
  ExecutionStatus,
  NodeError,
  NodeRecord,
  NodeStatus,
} from './execution-record.ts';
import { ForEachRecords, itemCounts } from './for-each-record.ts';
import { NodeAttempts } from './node-attempts.ts';
import {
  causeText,
  failurePathNodeIds,
  interruptedCause,
  isObject,
  logsOf,
  nodeEntries,
  nodeIdOfState,
  nodeStatusOf,
  normaliseError,
} from './node-record-rules.ts';

const KNOWN_STATUSES: ReadonlySet<string> = new Set([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
]);

/** What DescribeExecution says about the execution (the subset the record needs). */
export interface ExecutionDescription {
  status?: string;
  startDate?: Date;
  stopDate?: Date;
  error?: string;
  cause?: string;
}

interface NodeView {
  entry?: {
    status?: string;
    output?: unknown;
    hasOutput: boolean;
    error?: NodeError;
    logs?: string[];
    items?: unknown;
  };
  phase?: 'running' | 'failed' | 'done';
  lastError?: NodeError;
  startedAt?: Date;
  finishedAt?: Date;
  firstSeenAt?: Date;
  /** Its Task was scheduled as `.waitForTaskToken` and has not ended: a running node then reads `waiting`. */
  waiting?: boolean;
  /** One per entry of its own state `<id>` (its retry loop's attempts). */
  attempts?: NodeAttempts;
}

/**
 * Builds the execution record from DescribeExecution and the full GetExecutionHistory (events
 * in order), in the same shape and by the same rules as the local runner's record:
 * - node status/output/error: the latest entry for its id in any record container (`nodes`,
 *   `nodes1`, …, see `nodeEntries`) of any state's input or output (so entries written in
 *   different Parallel branches merge by node id); the failure path's `run.all` makes the nodes a
 *   failing run never reached `skipped`;
 * - a node whose map entry has no final status is `running` (a caught error waiting for the next
 *   attempt), unless the entry has an output and `<id>` exited normally (an action's success record,
 *   whose status the compiler leaves out where nothing in the machine reads it): `succeeded`. A node
 *   with no map entry takes its status from its own states: `running` while `<id>` is entered
 *   (`waiting` while its `.waitForTaskToken` Task waits for its token), `failed` with the task's
 *   error after a failure event, `succeeded` after `<id>` exited; once the execution has ended, a
 *   node still running is `failed` (`Interrupted`). The same rules as the local record builder's;
 * - timing: first `*StateEntered` and last `*StateExited` (or failure) of `<id>` / `<id>:skip`;
 *   a node without own states gets the time it first appeared in a `nodes` map;
 * - `attempts` of a node its retry loop entered more than once (lib/runtime/node-attempts.ts);
 * - `output`: `{ <nodeId>: output }` of every succeeded node with an output;
 * - failure events (TaskFailed, LambdaFunctionFailed, …) carry no state name: they are tied to
 *   their state through `previousEventId`.
 * Truncated or non-JSON inputs/outputs are skipped. Pure: no SDK calls, no clock.
 */
export function historyToRecord(
  description: ExecutionDescription,
  events: readonly HistoryEvent[],
): ExecutionRecord {
  const nodes = new Map<string, NodeView>();
  const forEach = new ForEachRecords();
  const stateOfEvent = new Map<number, string>();
  const view = (id: string): NodeView => {
    let found = nodes.get(id);
    if (!found) {
      found = {};
      nodes.set(id, found);
    }
    return found;
  };
  const scan = (json: string | undefined, at: Date | undefined) => {
    const data = parseJson(json);
    for (const id of failurePathNodeIds(data)) {
      const node = view(id);
      if (node.entry || node.phase !== undefined) continue;
      if (at) node.firstSeenAt ??= at;
      node.entry = { status: 'skipped', hasOutput: false };
    }
    const iteration = isObject(data) && typeof data.iteration === 'string' ? data.iteration : undefined;
    for (const [id, value] of nodeEntries(data)) {
      const firstSeen = !nodes.has(id);
      const node = view(id);
      if (at) node.firstSeenAt ??= at;
      const status = typeof value.status === 'string' ? value.status : undefined;
      if (iteration !== undefined && (firstSeen || forEach.isBodyNode(id))) {
        const error = normaliseError(value.error);
        forEach.observe(id, iteration, error ? { status, error } : { status }, firstSeen);
        continue;
      }
      if (status === 'running') forEach.started(id, value);
      node.entry = {
        status: typeof value.status === 'string' ? value.status : undefined,
        output: value.output,
        hasOutput: 'output' in value && value.output !== undefined,
        error: normaliseError(value.error),
        logs: logsOf(value) ?? node.entry?.logs,
        items: value.items,
      };
    }
  };
  let finalOutput: string | undefined;

  for (const event of events) {
    const at = event.timestamp;
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    const stateName =
      entered?.name ??
      exited?.name ??
      (event.previousEventId === undefined ? undefined : stateOfEvent.get(event.previousEventId));
    if (event.id !== undefined && stateName !== undefined) stateOfEvent.set(event.id, stateName);
    const nodeId = stateName === undefined ? undefined : nodeIdOfState(stateName);
    const own = nodeId === undefined ? undefined : view(nodeId);

    if (entered) {
      const input = parseJson(entered.input);
      if (nodeId !== undefined && isObject(input) && typeof input.iteration === 'string') {
        forEach.markBody(nodeId, input.iteration);
      }
      scan(entered.input, at);
      if (own) {
        own.startedAt ??= at;
        own.phase = 'running';
        if (at && entered.name === nodeId) {
          own.attempts ??= new NodeAttempts();
          own.attempts.entered(at.getTime());
        }
      }
      continue;
    }
    if (exited) {
      if (own) {
        if (at && exited.name === nodeId) own.attempts?.exited(at.getTime());
        own.waiting = false;
        // A state that failed and was caught exits normally: the node failed (its error is the
        // failure event's), unless a later retry ran it again.
        own.phase = own.phase === 'failed' ? 'failed' : 'done';
        own.finishedAt = at;
      }
      scan(exited.output, at);
      continue;
    }
    if (event.type === 'ExecutionSucceeded') {
      finalOutput = event.executionSucceededEventDetails?.output;
      continue;
    }
    const failure = failureOf(event);
    if (failure && own) {
      if (at && stateName === nodeId) own.attempts?.failed(at.getTime(), failure);
      own.waiting = false;
      own.phase = 'failed';
      own.finishedAt = at;
      own.lastError = failure;
      continue;
    }
    if (own && (event.type === 'TaskScheduled' || event.type === 'LambdaFunctionScheduled')) {
      // Scheduled again after a failure in the same entry: a native retry, the attempt goes on.
      if (own.phase === 'failed' && stateName === nodeId) own.attempts?.retried();
      own.phase = 'running';
      own.waiting = event.taskScheduledEventDetails?.resource?.endsWith('.waitForTaskToken') === true;
    }
  }

  const status = executionStatus(description.status);
  const ended = status !== 'RUNNING' && status !== 'PENDING_REDRIVE' ? status : undefined;
  if (status === 'SUCCEEDED') scan(finalOutput, undefined);

  const record: ExecutionRecord = { status, output: {}, nodes: {} };
  const output: Record<string, unknown> = {};
  for (const [id, node] of nodes) {
    const built = forEach.isBodyNode(id)
      ? bodyRecord(node, forEach.bodyRecord(id, ended))
      : nodeRecord(node, ended);
    record.nodes[id] = built;
    if (built.status === 'succeeded' && node.entry?.hasOutput) output[id] = node.entry.output;
  }
  record.output = output;
  if (description.startDate) record.startedAt = description.startDate.toISOString();
  if (description.stopDate && status !== 'RUNNING') record.finishedAt = description.stopDate.toISOString();
  const error = executionError(status, description);
  if (error) record.error = error;
  return record;
}

function executionStatus(status: string | undefined): ExecutionStatus {
  return status !== undefined && KNOWN_STATUSES.has(status) ? (status as ExecutionStatus) : 'RUNNING';
}

function executionError(status: ExecutionStatus, description: ExecutionDescription): NodeError | undefined {
  if (description.error !== undefined) {
    return description.cause === undefined
      ? { error: description.error }
      : { error: description.error, cause: causeText(description.cause) };
  }
  if (status === 'TIMED_OUT') return { error: 'States.Timeout' };
  if (status === 'FAILED') return { error: 'States.Failed' };
  return undefined;
}

function failureOf(event: HistoryEvent): NodeError | undefined {
  const details =
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails;
  if (!details) return undefined;
  const error = details.error ?? (event.type?.endsWith('TimedOut') ? 'States.Timeout' : 'States.TaskFailed');
  return details.cause === undefined ? { error } : { error, cause: causeText(details.cause) };
}

function bodyRecord(node: NodeView, record: NodeRecord): NodeRecord {
  const startedAt = node.startedAt ?? node.firstSeenAt;
  if (startedAt) record.startedAt = startedAt.toISOString();
  if (node.finishedAt && record.status !== 'running') record.finishedAt = node.finishedAt.toISOString();
  return record;
}

function nodeRecord(node: NodeView, ended: ExecutionStatus | undefined): NodeRecord {
  let { status, error }: { status: NodeStatus; error?: NodeError } = nodeStatusOf(node);
  if (status === 'running' && ended) {
    status = 'failed';
    error = { error: 'Interrupted', cause: interruptedCause(ended) };
  } else if (status === 'running' && node.waiting) {
    status = 'waiting';
  }
  const record: NodeRecord = { status };
  if (status === 'succeeded' && node.entry?.hasOutput) record.output = node.entry.output;
  if (status === 'failed' && error) record.error = error;
  if (node.entry?.logs) record.logs = node.entry.logs;
  const items = itemCounts(node.entry?.items);
  if (items) record.items = items;
  const startedAt = node.startedAt ?? node.firstSeenAt;
  const finishedAt = node.finishedAt ?? (node.startedAt === undefined ? node.firstSeenAt : undefined);
  if (startedAt) record.startedAt = startedAt.toISOString();
  if (finishedAt && status !== 'running' && status !== 'waiting')
    record.finishedAt = finishedAt.toISOString();
  const attempts = node.attempts?.record();
  if (attempts) record.attempts = attempts;
  return record;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
