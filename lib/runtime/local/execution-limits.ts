import {
  bytesOverStateLimit,
  dataLimitExceeded,
  historyLimitExceeded,
  MAX_HISTORY_EVENTS,
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

/**
 * The run-time quotas of one local execution, checked event by event (nested Parallel branches and
 * Map iterations included, as `captureEvents` reports them):
 *
 * - every state's input (`StateEntered`) and output (`StateExited`) at most 256 KiB of UTF-8 JSON,
 *   else `States.DataLimitExceeded`. A state's input is usually the object the previous state
 *   output, already measured: it is measured again only when it is a new object (the first state
 *   of a branch or iteration), so each state costs one `JSON.stringify` of its output;
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
  private readonly measured = new WeakSet<object>();

  /**
   * `stateTypes`: the type of every state in the definition as written (a Wait the runner turned
   * into a local Task still counts as a Wait). `countHistory`: false for Express (no history).
   */
  constructor(
    private readonly stateTypes: ReadonlyMap<string, string>,
    private readonly countHistory: boolean,
  ) {}

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
    if (!THROWABLE.has(event.type)) {
      if (counted) this.events += this.historyEventsOf(event, undefined);
      return;
    }
    const state = (event as { state: { name: string; type: string; input: unknown; output?: unknown } })
      .state;
    const type = this.stateTypes.get(state.name) ?? state.type;
    if (counted) this.events += this.historyEventsOf(event, type);
    if (event.type === 'StateEntered') this.checkSize('input', state.name, state.input);
    else if (event.type === 'StateExited') {
      // Known divergence (docs/aws-parity.md, forEach section): an Inline Map's collected result
      // is not limited yet, so the forEach collect step can offload a large list; the next
      // state's input is that same object and is let through too.
      if (type === 'Map') this.trust(state.output);
      else this.checkSize('output', state.name, state.output);
    }
    if (this.countHistory && this.events >= MAX_HISTORY_EVENTS) {
      throw historyLimitExceeded(state.name, this.events);
    }
  }

  private trust(value: unknown): void {
    if (typeof value === 'object' && value !== null) this.measured.add(value);
  }

  private checkSize(what: 'input' | 'output', stateName: string, value: unknown): void {
    const isObject = typeof value === 'object' && value !== null;
    if (isObject && this.measured.has(value)) return;
    const bytes = bytesOverStateLimit(value);
    if (bytes !== undefined) throw dataLimitExceeded(what, stateName, bytes);
    if (isObject) this.measured.add(value);
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
