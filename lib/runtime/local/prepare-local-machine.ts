import type { AslDefinition } from '../../compiler/types.ts';
import { distributedMapTask, isDistributedMap } from './distributed-map.ts';

/** The largest Task timeout a Node timer can hold (2^31 - 1 ms, in whole seconds). */
export const MAX_LOCAL_TIMEOUT_SECONDS = 2_147_483;

type State = Record<string, unknown>;
type StateMap = Record<string, State>;

/** How a `Wait` state that needs its input (or the clock) to know its duration is run locally. */
export type DynamicWait = { kind: 'seconds' } | { kind: 'timestamp' };

/** An ASL document made ready for aws-local-stepfunctions, and what the runner must know about it. */
export interface PreparedMachine {
  /** The rewritten definition to run (run it without validation: scaled fields are fractional). */
  definition: AslDefinition;
  /** Every state of the original definition by name, Parallel branches and Map iterators included. */
  states: ReadonlyMap<string, Readonly<State>>;
  /** Names of the `Wait` states rewritten into local Tasks that sleep a scaled duration. */
  dynamicWaits: ReadonlyMap<string, DynamicWait>;
  /**
   * Distributed Maps, rewritten into local Tasks of the same name (see `distributed-map.ts`), with
   * their ItemProcessor prepared like every other state.
   */
  distributedMaps: ReadonlyMap<string, Readonly<State>>;
}

export interface PrepareOptions {
  /** Multiplies every Wait and every Retry interval (1 = real time). */
  timeScale: number;
  /** Also multiply Task `TimeoutSeconds` and the machine's `TimeoutSeconds`. */
  scaleTimeouts: boolean;
}

/**
 * Rewrites an ASL document for a local run without changing its semantics, only its clock:
 * - a Task without `TimeoutSeconds` gets the largest one a timer can hold (AWS has no default
 *   timeout for Tasks; the interpreter would otherwise fail them after 60 s), and so does a
 *   `.waitForTaskToken` Task (its local handler enforces the timeout from the wait store);
 * - with `timeScale ≠ 1`: `Wait.Seconds` and every retrier's `IntervalSeconds`/`MaxDelaySeconds`
 *   are multiplied (backoff and jitter then apply to the scaled interval, as in AWS), and a Wait
 *   whose duration comes from its input or a timestamp (`SecondsPath`, `Timestamp`,
 *   `TimestampPath`) becomes a Task of the same name, same InputPath/OutputPath and transitions,
 *   that the runner's local handler answers by sleeping the scaled duration (the event log then
 *   shows that state with type `Task`);
 * - with `scaleTimeouts`, Task and machine `TimeoutSeconds` are multiplied too;
 * - a Distributed Map becomes a local Task of the same name (see `distributed-map.ts`): the
 *   interpreter has no ItemReader or ResultWriter.
 * The input document is not modified.
 */
export function prepareLocalMachine(asl: AslDefinition, options: PrepareOptions): PreparedMachine {
  const states = new Map<string, State>();
  const dynamicWaits = new Map<string, DynamicWait>();
  const distributedMaps = new Map<string, State>();
  const { timeScale, scaleTimeouts } = options;
  const scaled = timeScale !== 1;

  const rewriteStates = (input: StateMap): StateMap => {
    const output: StateMap = {};
    for (const [name, original] of Object.entries(input)) {
      states.set(name, original);
      const state: State = { ...original };
      switch (state.Type) {
        case 'Task': {
          const timeout = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
          if (typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken')) {
            // The wait handler keeps the deadline in the wait store, so a run resumed after a
            // restart waits for what is left of it rather than a new full timeout.
            state.TimeoutSeconds = MAX_LOCAL_TIMEOUT_SECONDS;
          } else if (timeout === undefined && state.TimeoutSecondsPath === undefined) {
            state.TimeoutSeconds = MAX_LOCAL_TIMEOUT_SECONDS;
          } else if (timeout !== undefined && scaleTimeouts) {
            state.TimeoutSeconds = timeout * timeScale;
          }
          break;
        }
        case 'Wait':
          if (scaled) {
            output[name] = rewriteWait(name, state, timeScale, dynamicWaits);
            continue;
          }
          break;
        case 'Parallel':
          state.Branches = (state.Branches as Array<{ States: StateMap }>).map((branch) => ({
            ...branch,
            States: rewriteStates(branch.States),
          }));
          break;
        case 'Map':
          for (const key of ['Iterator', 'ItemProcessor'] as const) {
            const processor = state[key] as { States: StateMap } | undefined;
            if (processor) state[key] = { ...processor, States: rewriteStates(processor.States) };
          }
          if (isDistributedMap(state)) {
            distributedMaps.set(name, state);
            output[name] = distributedMapTask(state, MAX_LOCAL_TIMEOUT_SECONDS);
            continue;
          }
          break;
      }
      if (scaled && Array.isArray(state.Retry)) {
        state.Retry = (state.Retry as State[]).map((retrier) => scaleRetrier(retrier, timeScale));
      }
      output[name] = state;
    }
    return output;
  };

  const definition: AslDefinition = { ...asl, States: rewriteStates(asl.States) };
  if (scaleTimeouts && typeof asl.TimeoutSeconds === 'number') {
    definition.TimeoutSeconds = asl.TimeoutSeconds * timeScale;
  }
  return { definition, states, dynamicWaits, distributedMaps };
}

function scaleRetrier(retrier: State, timeScale: number): State {
  const scaledRetrier: State = {
    ...retrier,
    IntervalSeconds: (typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1) * timeScale,
  };
  if (typeof retrier.MaxDelaySeconds === 'number') {
    scaledRetrier.MaxDelaySeconds = retrier.MaxDelaySeconds * timeScale;
  }
  return scaledRetrier;
}

function rewriteWait(
  name: string,
  wait: State,
  timeScale: number,
  dynamicWaits: Map<string, DynamicWait>,
): State {
  if (typeof wait.Seconds === 'number') return { ...wait, Seconds: wait.Seconds * timeScale };
  let parameters: Record<string, unknown>;
  if (typeof wait.SecondsPath === 'string') {
    parameters = { 'seconds.$': wait.SecondsPath };
    dynamicWaits.set(name, { kind: 'seconds' });
  } else if (typeof wait.TimestampPath === 'string') {
    parameters = { 'timestamp.$': wait.TimestampPath };
    dynamicWaits.set(name, { kind: 'timestamp' });
  } else {
    parameters = { timestamp: wait.Timestamp };
    dynamicWaits.set(name, { kind: 'timestamp' });
  }
  const task: State = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: parameters,
    ResultPath: null,
    TimeoutSeconds: MAX_LOCAL_TIMEOUT_SECONDS,
  };
  for (const key of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End'] as const) {
    if (key in wait) task[key] = wait[key];
  }
  return task;
}
