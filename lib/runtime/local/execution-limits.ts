import {
  bytesOverStateLimit,
  dataLimitExceeded,
  historyLimitExceeded,
  jsonBytes,
  MAX_HISTORY_EVENTS,
  MAX_STATE_BYTES,
} from './aws-limits.ts';
import type { LocalExecutionEvent } from './local-execution-event.ts';

/** The events after which the interpreter handles a throw as the failure of the execution it runs. */
const THROWABLE: ReadonlySet<string> = new Set([
  'StateEntered',
  'StateExited',
  'StateFailed',
  'StateRetried',
  'StateCaught',
]);

type State = Readonly<Record<string, unknown>>;

/**
 * How a state's output is built from its input: `null` — it is the input (`ResultPath: null`);
 * segments — the input with the result set at that plain path (`ResultPath: "$.a.b"`, no
 * `OutputPath`); undefined — anything else (measured whole).
 */
type Merge = readonly string[] | null | undefined;

/**
 * The run-time quotas of one local execution, checked event by event (nested Parallel branches and
 * Map iterations included, as `captureEvents` reports them):
 *
 * - every state's input (`StateEntered`) and output (`StateExited`) at most 256 KiB of UTF-8 JSON,
 *   else `States.DataLimitExceeded`. Cheap upper bounds decide first, and the whole value is
 *   serialised only when its bound could pass the limit: an input that is the object the previous
 *   state output has that output's size; the output of a state that sets its result at a plain
 *   `ResultPath` is at most its input's size plus the result's (only the result is serialised),
 *   plus its keys; a state whose output is its input costs nothing. Bounds add up along a run,
 *   and are reset to the exact size whenever one reaches the limit;
 * - Standard only: at most 25,000 history events, counted as Step Functions would write them (see
 *   {@link historyEventsOf}); the event that would be number 25,000 fails the run with
 *   `States.Runtime` instead (only the execution's own end may be event 25,000).
 *
 * {@link observe} throws the uncatchable error for the event that breaks a limit; the runner lets
 * the throw reach the interpreter, which fails the execution (no Retry or Catch applies).
 */
export class ExecutionLimits {
  private events = 0;
  private started = false;
  /** Bytes of each value checked so far: exact, or an upper bound within the limit. */
  private readonly sizes = new WeakMap<object, number>();
  private readonly merges = new Map<string, Merge>();
  /**
   * The size of the input a branch or iteration was started with, for the state it enters next:
   * the interpreter enters the first state at once, with a copy of that input.
   */
  private startBytes: number | undefined;
  /** A caught state's output is built by its catcher's `ResultPath`: by the state's input object. */
  private readonly caught = new WeakMap<object, Merge>();

  /**
   * `states`: every state of the definition as written, by name (a Wait the runner turned into a
   * local Task still counts as a Wait). `countHistory`: false for Express (no history).
   */
  constructor(
    private readonly states: ReadonlyMap<string, State>,
    private readonly countHistory: boolean,
  ) {}

  /** The limits of a machine's runs, from its ASL (every state, branches and processors included). */
  static forMachine(asl: { States: Record<string, State> }, countHistory: boolean): ExecutionLimits {
    const states = new Map<string, State>();
    const walk = (map: Record<string, State>): void => {
      for (const [name, state] of Object.entries(map)) {
        states.set(name, state);
        for (const branch of (state.Branches as Array<{ States: Record<string, State> }> | undefined) ?? [])
          walk(branch.States);
        const processor = (state.ItemProcessor ?? state.Iterator) as
          | { States: Record<string, State> }
          | undefined;
        if (processor) walk(processor.States);
      }
    };
    walk(asl.States);
    return new ExecutionLimits(states, countHistory);
  }

  /** History events counted so far. */
  get historyEvents(): number {
    return this.events;
  }

  /**
   * Counts `event`; throws the uncatchable error when it breaks a limit (only after events it may
   * throw for). `history: false` (an event of a Distributed Map's child execution, which has a
   * history of its own): sizes are checked, the event is not counted in this execution's history.
   */
  observe(event: LocalExecutionEvent, options: { history?: boolean } = {}): void {
    const counted = options.history ?? true;
    const startBytes = this.startBytes;
    this.startBytes = undefined;
    if (!THROWABLE.has(event.type)) {
      if (counted) this.events += this.historyEventsOf(event, undefined);
      if (event.type === 'ExecutionStarted') this.startBytes = this.known(event.input);
      return;
    }
    const state = (event as { state: { name: string; type: string; input: unknown; output?: unknown } })
      .state;
    const definition = this.states.get(state.name);
    const type = typeof definition?.Type === 'string' ? definition.Type : state.type;
    if (counted) this.events += this.historyEventsOf(event, type);
    if (event.type === 'StateEntered') {
      if (startBytes === undefined) this.checkInput(state.name, state.input);
      else this.remember(state.input, startBytes);
    } else if (event.type === 'StateCaught') this.noteCatch(event, state.input);
    else if (event.type === 'StateExited') {
      this.checkOutput(state.name, state.input, state.output);
    }
    if (this.countHistory && this.events >= MAX_HISTORY_EVENTS) {
      throw historyLimitExceeded(state.name, this.events);
    }
  }

  private remember(value: unknown, bytes: number): void {
    if (typeof value === 'object' && value !== null) this.sizes.set(value, bytes);
  }

  private known(value: unknown): number | undefined {
    return typeof value === 'object' && value !== null ? this.sizes.get(value) : undefined;
  }

  private checkInput(stateName: string, input: unknown): void {
    if (this.known(input) === undefined) this.measure('input', stateName, input);
  }

  private noteCatch(event: LocalExecutionEvent, input: unknown): void {
    if (typeof input !== 'object' || input === null) return;
    const path = (event as { catch?: { catcher?: { ResultPath?: unknown } } }).catch?.catcher?.ResultPath;
    this.caught.set(input, mergeOfPath(path === undefined ? '$' : path));
  }

  private checkOutput(stateName: string, input: unknown, output: unknown): void {
    if (this.known(output) !== undefined) return; // the input itself (Choice, Wait, a plain Pass)
    const before = this.known(input);
    let merge: Merge;
    if (typeof input === 'object' && input !== null && this.caught.has(input)) {
      merge = this.caught.get(input);
      this.caught.delete(input);
    } else merge = this.mergeOf(stateName);
    if (before !== undefined && merge !== undefined) {
      let bound = before;
      if (merge !== null) {
        let at: unknown = output;
        for (const key of merge) {
          at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
          bound += Buffer.byteLength(JSON.stringify(key)) + 4; // "key":, a comma, the braces of a new object
        }
        bound += jsonBytes(at);
      }
      if (bound <= MAX_STATE_BYTES) {
        this.remember(output, bound);
        return;
      }
    }
    this.measure('output', stateName, output);
  }

  /** The exact size, or the uncatchable error when it is over the limit. */
  private measure(what: 'input' | 'output', stateName: string, value: unknown): void {
    const over = bytesOverStateLimit(value);
    if (over !== undefined) throw dataLimitExceeded(what, stateName, over);
    if (typeof value === 'object' && value !== null) this.sizes.set(value, jsonBytes(value));
  }

  private mergeOf(stateName: string): Merge {
    if (this.merges.has(stateName)) return this.merges.get(stateName);
    const state = this.states.get(stateName);
    const merge =
      state && !('OutputPath' in state) && state.Type !== 'Choice'
        ? mergeOfPath(state.ResultPath)
        : undefined;
    this.merges.set(stateName, merge);
    return merge;
  }

  /**
   * The history events Step Functions writes for what a local event reports (an approximation:
   * the interpreter's log has fewer kinds of events):
   * - execution start 1 (the execution's end is the event that may be number 25,000; not counted);
   * - Task: entered + scheduled + started (3), each retry scheduled + started (2), each attempt's
   *   end succeeded/failed (1), exited (1);
   * - Parallel and Map: entered + started (2), succeeded + exited (2), failed (1); every Map
   *   iteration started and succeeded/failed (1 each); a Parallel branch has no events of its own;
   * - Pass, Choice, Wait, Succeed, Fail: entered (1), exited (1);
   * - a caught failure: the failure (1) and the exit (1; the interpreter also reports a caught
   *   Task's exit as if it had succeeded, which would count 2).
   */
  private historyEventsOf(event: LocalExecutionEvent, stateType: string | undefined): number {
    const multi = stateType === 'Parallel' || stateType === 'Map';
    switch (event.type) {
      case 'ExecutionStarted':
        if (this.started) return 0;
        this.started = true;
        return 1;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return 1;
      case 'StateEntered':
        return stateType === 'Task' ? 3 : multi ? 2 : 1;
      case 'StateExited':
        return stateType === 'Task' || multi ? 2 : 1;
      case 'StateFailed':
        return 1;
      case 'StateRetried':
        return stateType === 'Task' ? 2 : 1;
      case 'StateCaught':
        return stateType === 'Task' || multi ? -1 : 0;
      default:
        return 0;
    }
  }
}

/** {@link Merge} of a `ResultPath` value: null stays null, a plain `$.a.b` path its segments, else undefined. */
function mergeOfPath(path: unknown): Merge {
  if (path === null) return null;
  if (typeof path === 'string' && /^\$(\.[^.[\]'"]+)+$/.test(path)) return path.slice(2).split('.');
  return undefined;
}
