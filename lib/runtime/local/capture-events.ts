import '../polyfills.ts';
import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import type { LocalExecutionEvent } from './local-execution-event.ts';

/**
 * Every event of a local run, nested Parallel and Map branches included, in the order it happened.
 *
 * Why: aws-local-stepfunctions forwards a branch's events to its parent's log through an async
 * loop, and a branch's log closes when the branch ends, so events of branches nested two deep or
 * more arrive late or not at all (measured: a third of the Task events of an 800-node DAG). Step
 * Functions' execution history has every event. The machine state no longer carries every node's
 * record to the end (lib/compiler/state-slots.ts), so the record builder needs every event.
 *
 * How: each execution (the root and every branch) runs `StateMachine.prototype.execute` with its own
 * event logger; when the run options carry a sink (they are passed down to every nested run), that
 * logger's `dispatch` also hands each event to the sink at once. An event forwarded from a branch to
 * its parent is the same object and is reported once.
 */
const SINK = '__flowforgeEventSink';

type Sink = (event: LocalExecutionEvent) => void;
interface EventLoggerLike {
  dispatch(event: LocalExecutionEvent): void;
  isLoggerClosed?: boolean;
}
type Execute = (
  input: unknown,
  options: { runOptions?: Record<string, unknown>; eventLogger?: EventLoggerLike },
  cleanup: unknown,
) => unknown;

const prototype = StateMachine.prototype as unknown as { execute: Execute; [SINK]?: true };
if (!prototype[SINK]) {
  const original = prototype.execute;
  prototype.execute = function execute(this: unknown, input, options, cleanup) {
    const sink = options?.runOptions?.[SINK] as Sink | undefined;
    const logger = options?.eventLogger;
    if (sink && logger) {
      const dispatch = logger.dispatch.bind(logger);
      logger.dispatch = (event) => {
        if (!logger.isLoggerClosed) sink(event);
        dispatch(event);
      };
    }
    return original.call(this, input, options, cleanup);
  };
  prototype[SINK] = true;
}

/**
 * Run options that report every event of the run (nested branches included) to `onEvent`, once
 * each, synchronously as it happens. Pass the result to `StateMachine.run`.
 */
export function captureEvents(options: RunOptions, onEvent: Sink): RunOptions {
  const seen = new WeakSet<object>();
  const sink: Sink = (event) => {
    if (seen.has(event)) return;
    seen.add(event);
    onEvent(event);
  };
  return { ...options, [SINK]: sink } as RunOptions;
}

/**
 * Run options for a run nested in one that {@link captureEvents} reports: its events pass through
 * `filter` (which may drop an event, or answer a changed copy) before the outer run's `onEvent`.
 */
export function filterEvents(
  options: RunOptions,
  filter: (event: LocalExecutionEvent) => LocalExecutionEvent | undefined,
): RunOptions {
  const outer = (options as Record<string, unknown>)[SINK] as Sink | undefined;
  if (!outer) return options;
  const sink: Sink = (event) => {
    const kept = filter(event);
    if (kept) outer(kept);
  };
  return { ...options, [SINK]: sink } as RunOptions;
}
