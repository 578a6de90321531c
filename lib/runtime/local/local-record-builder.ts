import type {
  ExecutionRecord,
  ExecutionStatus,
  NodeError,
  NodeRecord,
  NodeStatus,
} from '../execution-record.ts';
import { ForEachRecords, itemCounts } from '../for-each-record.ts';
import { NodeAttempts } from '../node-attempts.ts';
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
} from '../node-record-rules.ts';
import type { LocalExecutionEvent } from './local-execution-event.ts';

interface NodeView {
  /** The latest entry of `nodes.<id>` seen in any state's input or output. */
  entry?: {
    status?: string;
    output?: unknown;
    error?: NodeError;
    hasOutput: boolean;
    logs?: string[];
    /** A forEach's `items`: the list while it runs, the counts once collected. */
    items?: unknown;
  };
  /** Where the node's own states are in the event log. */
  phase?: 'running' | 'failed' | 'done';
  /** The node's state caught an error since it was last entered (its exit is then not a success). */
  caught?: boolean;
  lastError?: NodeError;
  startedAt?: number;
  finishedAt?: number;
  /** When the node first appeared in a `nodes` map (timing fallback for nodes without own states). */
  firstSeenAt?: number;
  /** Its `.waitForTaskToken` state is entered and has not ended: a running node then reads `waiting`. */
  waiting?: boolean;
  /** One per entry of its own state `<id>` (its retry loop's attempts). */
  attempts?: NodeAttempts;
}

/** How a local run ended, as the runner learnt it from the interpreter. */
export interface RunOutcome {
  status: Exclude<ExecutionStatus, 'RUNNING' | 'PENDING_REDRIVE'>;
  /** The machine's final output (SUCCEEDED only). */
  finalOutput?: unknown;
  error?: NodeError;
  finishedAt?: number;
}

/**
 * Builds the execution record (lib/runtime/execution-record.ts) from the event log of
 * aws-local-stepfunctions, incrementally, so a running execution can be described at any time.
 *
 * Rules:
 * - A node's `status`, `output` and `error` come from the latest entry for its id seen in any
 *   record container (`nodes`, `nodes1`, … — see `nodeEntries`) of any state's input or output
 *   (events in arrival order, merged by node id, so the entries written in different Parallel
 *   branches all count); on success the final output is applied last. `{ Error, Cause }` entries
 *   are normalised to `{ error, cause }`. The failure path's `run.all` (every node id) makes the
 *   nodes a failing run never reached `skipped`.
 * - A node whose `.waitForTaskToken` state is running (waitForCallback, waitForEvent) is `waiting`.
 * - A node whose map entry has no final status yet (e.g. a caught error waiting for a retry) is
 *   `running`, unless the entry has an output and the node's state `<id>` exited normally (an
 *   action's success record without its status, which the compiler leaves out where nothing in the
 *   machine reads it): `succeeded`. A node with no map entry takes its status from its own states: `running` while its
 *   state `<id>` is entered (or being retried), `failed` (with the state's error) after a failure
 *   (caught or not), `succeeded` after a normal exit. When the run has ended, a node still
 *   `running` becomes `failed` with error `Interrupted`, a cause that says how the run ended, and
 *   the run's end as its `finishedAt`.
 * - Timing: `startedAt` is the first `StateEntered` of a state named `<id>` or `<id>:skip`,
 *   `finishedAt` the last `StateExited`/`StateFailed` of those (ISO 8601). A node that has no such
 *   state gets, for both, the time of the event in which it first appeared in a `nodes` map.
 * - `attempts` of a node its retry loop entered more than once (lib/runtime/node-attempts.ts, the
 *   same rules as the history builder's).
 * - Record `output` is `{ <nodeId>: output }` for every succeeded node that has an output.
 * - Nodes are listed in the order they were first seen.
 * - forEach bodies: see {@link ForEachRecords} (body nodes sum their iterations; a forEach node
 *   carries `items: { total, succeeded, failed }`, live while its Map runs).
 */
export class LocalRecordBuilder {
  private readonly nodes = new Map<string, NodeView>();
  private readonly forEach = new ForEachRecords();
  private readonly waitStates: ReadonlySet<string>;

  /** `waitStates`: the states that wait for a task token (their node is `waiting` while they run). */
  constructor(options: { waitStates?: ReadonlySet<string> } = {}) {
    this.waitStates = options.waitStates ?? new Set();
  }
  private startedAt?: number;
  private lastEventAt?: number;

  /** Feeds one event; answers whether a node's status (or a node) changed. */
  observe(event: LocalExecutionEvent): boolean {
    this.lastEventAt = event.timestamp;
    let changed = false;
    switch (event.type) {
      case 'ExecutionStarted':
        this.startedAt = event.timestamp;
        break;
      case 'StateEntered': {
        const input = event.state.input;
        const stateId = nodeIdOfState(event.state.name);
        if (stateId !== undefined && isObject(input) && typeof input.iteration === 'string') {
          this.forEach.markBody(stateId, input.iteration);
        }
        changed = this.scanNodes(input, event.timestamp) || changed;
        const view = this.ownView(event.state.name);
        if (view) {
          if (isNodeState(event.state.name)) {
            view.attempts ??= new NodeAttempts();
            view.attempts.entered(event.timestamp);
          }
          view.startedAt ??= event.timestamp;
          view.phase = 'running';
          view.caught = false;
          // A wait state's node reads `waiting` once its wait is registered (see markWaiting).
          view.waiting = false;
          changed = true;
        }
        break;
      }
      case 'StateRetried': {
        const view = this.ownView(event.state.name);
        if (view) view.phase = 'running';
        // A native retry (Lambda service errors) runs the same attempt on.
        if (view && isNodeState(event.state.name)) view.attempts?.retried();
        changed = view !== undefined;
        break;
      }
      case 'StateCaught': {
        const view = this.ownView(event.state.name);
        if (view) {
          view.caught = true;
          view.waiting = false;
        }
        break;
      }
      case 'StateFailed': {
        const view = this.ownView(event.state.name);
        if (view) {
          view.phase = 'failed';
          view.waiting = false;
          view.finishedAt = event.timestamp;
          view.lastError = { error: event.Error, cause: causeText(event.Cause) };
          if (isNodeState(event.state.name)) view.attempts?.failed(event.timestamp, view.lastError);
          changed = true;
        }
        break;
      }
      case 'StateExited': {
        const view = this.ownView(event.state.name);
        if (view) {
          if (isNodeState(event.state.name)) view.attempts?.exited(event.timestamp);
          view.phase = view.caught ? 'failed' : 'done';
          view.waiting = false;
          view.finishedAt = event.timestamp;
          changed = true;
        }
        changed = this.scanNodes(event.state.output, event.timestamp) || changed;
        break;
      }
      case 'MapIterationSucceeded':
        changed =
          this.forEach.iterationDone(event.parentState.name, (event as { output?: unknown }).output) ||
          changed;
        break;
      default:
        break;
    }
    return changed;
  }

  /** The record of a run still going: status RUNNING, the nodes known so far. */
  snapshot(): ExecutionRecord {
    const record = this.build(undefined);
    return { ...record, status: 'RUNNING' };
  }

  /** The final record once the run has ended. */
  finish(outcome: RunOutcome): ExecutionRecord {
    if (outcome.status === 'SUCCEEDED') this.scanNodes(outcome.finalOutput, this.lastEventAt ?? Date.now());
    return this.build(outcome);
  }

  private build(outcome: RunOutcome | undefined): ExecutionRecord {
    const nodes: Record<string, NodeRecord> = {};
    const output: Record<string, unknown> = {};
    for (const [id, view] of this.nodes) {
      const node = this.forEach.isBodyNode(id)
        ? bodyNodeRecord(view, this.forEach.bodyRecord(id, outcome?.status))
        : nodeRecord(view, outcome, this.forEach.progressOf(id));
      nodes[id] = node;
      if (node.status === 'succeeded' && view.entry?.hasOutput) output[id] = view.entry.output;
    }
    const record: ExecutionRecord = { status: outcome?.status ?? 'RUNNING', output, nodes };
    if (outcome?.error) record.error = outcome.error;
    if (this.startedAt !== undefined) record.startedAt = iso(this.startedAt);
    if (outcome) record.finishedAt = iso(outcome.finishedAt ?? this.lastEventAt ?? Date.now());
    return record;
  }

  /**
   * The wait of `.waitForTaskToken` state `stateName` is registered: its running node now reads
   * `waiting` (an event or callback sent from then on finds it). True when the record changed.
   */
  markWaiting(stateName: string): boolean {
    if (!this.waitStates.has(stateName)) return false;
    const view = this.ownView(stateName);
    if (view?.phase !== 'running' || view.waiting) return false;
    view.waiting = true;
    return true;
  }

  private ownView(stateName: string): NodeView | undefined {
    const id = nodeIdOfState(stateName);
    return id === undefined ? undefined : this.view(id);
  }

  private view(id: string): NodeView {
    let view = this.nodes.get(id);
    if (!view) {
      view = {};
      this.nodes.set(id, view);
    }
    return view;
  }

  private scanNodes(data: unknown, timestamp: number): boolean {
    let changed = false;
    for (const id of failurePathNodeIds(data)) {
      const view = this.view(id);
      if (view.entry || view.phase !== undefined) continue;
      view.firstSeenAt ??= timestamp;
      view.entry = { status: 'skipped', hasOutput: false };
      changed = true;
    }
    const iteration = isObject(data) && typeof data.iteration === 'string' ? data.iteration : undefined;
    for (const [id, value] of nodeEntries(data)) {
      const firstSeen = !this.nodes.has(id);
      const view = this.view(id);
      view.firstSeenAt ??= timestamp;
      const status = typeof value.status === 'string' ? value.status : undefined;
      if (iteration !== undefined && (firstSeen || this.forEach.isBodyNode(id))) {
        const entry = {
          status,
          ...(value.error !== undefined ? { error: normaliseError(value.error) } : {}),
        };
        changed = this.forEach.observe(id, iteration, entry as never, firstSeen) || changed;
        continue;
      }
      if (status === 'running') this.forEach.started(id, value);
      if (view.entry?.status !== status) changed = true;
      view.entry = {
        status,
        output: value.output,
        hasOutput: 'output' in value && value.output !== undefined,
        error: normaliseError(value.error),
        logs: logsOf(value) ?? view.entry?.logs,
        items: value.items,
      };
    }
    return changed;
  }
}

/** A body node: the aggregate of its iterations, timed by its own states across them. */
function bodyNodeRecord(view: NodeView, node: NodeRecord): NodeRecord {
  const startedAt = view.startedAt ?? view.firstSeenAt;
  if (startedAt !== undefined) node.startedAt = iso(startedAt);
  if (view.finishedAt !== undefined && node.status !== 'running') node.finishedAt = iso(view.finishedAt);
  return node;
}

function nodeRecord(
  view: NodeView,
  outcome: RunOutcome | undefined,
  progress?: NodeRecord['items'],
): NodeRecord {
  let { status, error }: { status: NodeStatus; error?: NodeError } = nodeStatusOf(view);
  let interruptedAt: number | undefined;
  if (status === 'running' && outcome) {
    status = 'failed';
    error = { error: 'Interrupted', cause: interruptedCause(outcome.status) };
    interruptedAt = outcome.finishedAt;
  } else if (status === 'running' && view.waiting) {
    status = 'waiting';
  }
  const node: NodeRecord = { status };
  if (status === 'succeeded' && view.entry?.hasOutput) node.output = view.entry.output;
  if (error && status === 'failed') node.error = error;
  if (view.entry?.logs) node.logs = view.entry.logs;
  const items = itemCounts(view.entry?.items) ?? progress;
  if (items) node.items = items;
  const startedAt = view.startedAt ?? view.firstSeenAt;
  const finishedAt =
    interruptedAt ?? view.finishedAt ?? (view.startedAt === undefined ? view.firstSeenAt : undefined);
  if (startedAt !== undefined) node.startedAt = iso(startedAt);
  if (finishedAt !== undefined && status !== 'running' && status !== 'waiting')
    node.finishedAt = iso(finishedAt);
  const attempts = view.attempts?.record();
  if (attempts) node.attempts = attempts;
  return node;
}

/** The state that runs a node is named exactly the node id (DESIGN.md §2); `<id>:skip` is not it. */
const isNodeState = (stateName: string): boolean => nodeIdOfState(stateName) === stateName;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
