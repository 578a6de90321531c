import '../polyfills.ts';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { PayloadScope, PayloadStore } from '../../payloads/payload-store.ts';
import type { LocalExecutionEvent } from './local-execution-event.ts';

type State = Record<string, unknown>;

/** True for a Map state in DISTRIBUTED mode (ItemProcessor.ProcessorConfig.Mode). */
export function isDistributedMap(state: Readonly<State>): boolean {
  if (state.Type !== 'Map') return false;
  const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: unknown } } | undefined;
  return processor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/** Events of Distributed Maps' child executions (reported to the parent run, not part of its history). */
const childEvents = new WeakSet<object>();

/** True for an event of a Distributed Map's child execution: it belongs to that child's history, not the run's. */
export function isDistributedChildEvent(event: object): boolean {
  return childEvents.has(event);
}

/** Where the Map's input holds the list while the local Map runs (never in a state of the run). */
const ITEMS_FIELD = '__flowforgeDistributedItems';

/**
 * The Task a Distributed Map becomes locally (same name, ResultSelector, ResultPath, Catch, Retry
 * and transition): its Parameters hand the local handler the ItemReader key and the whole state.
 * aws-local-stepfunctions has no ItemReader or ResultWriter, so the handler
 * ({@link runDistributedMap}) does what Step Functions does around the same ItemProcessor.
 */
export function distributedMapTask(map: Readonly<State>, timeoutSeconds: number): State {
  const reader = map.ItemReader as { Parameters?: Record<string, unknown> } | undefined;
  const key = reader?.Parameters?.['Key.$'];
  const task: State = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      ...(typeof key === 'string' ? { 'key.$': key } : { key: reader?.Parameters?.Key }),
      'state.$': '$',
    },
    TimeoutSeconds: timeoutSeconds,
  };
  for (const field of [
    'Comment',
    'InputPath',
    'OutputPath',
    'ResultSelector',
    'ResultPath',
    'Retry',
    'Catch',
    'Next',
    'End',
  ] as const) {
    if (field in map) task[field] = map[field];
  }
  return task;
}

/** A Map Run failed: an item's child execution failed (not its body: bodies end every item with a result). */
class MapRunFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'States.ExceedToleratedFailureThreshold';
  }
}

export interface DistributedMapCall {
  /** The Map state's name. */
  name: string;
  /** The Map state as compiled (its ItemProcessor already prepared for the local run). */
  map: Readonly<State>;
  /** What the rewritten Task's Parameters gave: the ItemReader key and the Map's state input. */
  input: unknown;
  payloads: PayloadStore | undefined;
  /** The parent run's options (local handlers, context, event sink): every item runs with them. */
  runOptions: RunOptions;
  /** Keeps the parent's event sink from seeing the events of the local Map itself (see below). */
  wrapRunOptions: (
    options: RunOptions,
    filter: (event: LocalExecutionEvent) => LocalExecutionEvent | undefined,
  ) => RunOptions;
  signal: AbortSignal;
}

/**
 * Runs a Distributed Map locally as Step Functions does: reads the JSON array under the ItemReader
 * key from the payload store, runs the same ItemProcessor once per item (ItemSelector with
 * `$$.Map.Item`, at most MaxConcurrency at once; aws-local-stepfunctions runs each iteration as a
 * state machine execution of its own, as AWS runs a child execution), writes the children's
 * outputs as a ResultWriter does (a results file of `{ Status, Input, Output }` entries and a
 * `manifest.json` listing it, kept in the payload store under the execution's own prefix) and
 * answers `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }` with the manifest's key. A failed
 * child execution fails the Map with `States.ExceedToleratedFailureThreshold` (tolerance 0).
 *
 * The iterations' events reach the run's record builder as an Inline Map's do (MapIteration*
 * events named after the Map); the local Map's own events (its entry with the whole list, the
 * execution events) are not reported, since in AWS they belong to no history the run keeps.
 */
export async function runDistributedMap(call: DistributedMapCall): Promise<unknown> {
  const { name, map, payloads } = call;
  const request = (call.input ?? {}) as { key?: unknown; state?: Record<string, unknown> };
  const state = request.state ?? {};
  if (!payloads) {
    throw Object.assign(
      new Error(`Map "${name}": a Distributed Map needs the payload store to read its items`),
      {
        name: 'States.ItemReaderFailed',
      },
    );
  }
  let items: unknown;
  try {
    items = await payloads.getJson(String(request.key));
  } catch (error) {
    throw Object.assign(
      new Error(`Map "${name}": cannot read the items ${String(request.key)}: ${(error as Error).message}`),
      {
        name: 'States.ItemReaderFailed',
      },
    );
  }
  if (!Array.isArray(items)) {
    throw Object.assign(new Error(`Map "${name}": the ItemReader object is not a JSON array`), {
      name: 'States.ItemReaderFailed',
    });
  }
  const processor = map.ItemProcessor as { StartAt: string; States: Record<string, State> };
  const inline: State = {
    Type: 'Map',
    ItemsPath: `$.${ITEMS_FIELD}`,
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: processor.StartAt,
      States: processor.States,
    },
    End: true,
  };
  for (const field of ['ItemSelector', 'MaxConcurrency'] as const)
    if (field in map) inline[field] = map[field];
  const machine = new StateMachine(
    { StartAt: name, States: { [name]: inline } } as unknown as StateMachineDefinition,
    {
      validationOptions: { noValidate: true },
    },
  );
  const options = call.wrapRunOptions(call.runOptions, (event) => {
    if (event.type.startsWith('Execution')) return undefined;
    const named = event as { state?: { name?: string }; parentState?: { name?: string; input?: unknown } };
    if (named.state?.name === name) return undefined;
    const kept =
      named.parentState?.name === name
        ? ({ ...event, parentState: { ...named.parentState, input: state } } as LocalExecutionEvent)
        : event;
    childEvents.add(kept);
    return kept;
  });
  const execution = machine.run({ ...state, [ITEMS_FIELD]: items } as never, options);
  const onAbort = () => execution.abort();
  call.signal.addEventListener('abort', onAbort, { once: true });
  let results: unknown[];
  try {
    results = (await execution.result) as unknown[];
  } catch (error) {
    const failure =
      (error as { cause?: unknown }).cause instanceof Error
        ? (error as { cause: Error }).cause
        : (error as Error);
    throw new MapRunFailed(
      `Map "${name}": a child execution failed (${failure.name}: ${failure.message}); the Map run tolerates no failed child`,
    );
  } finally {
    call.signal.removeEventListener('abort', onAbort);
  }
  const execution_ = state.execution as { id?: string; flowId?: string; tenant?: string } | undefined;
  const scope: PayloadScope = {
    ...(execution_?.tenant === undefined ? {} : { tenant: execution_.tenant }),
    flowId: execution_?.flowId ?? 'local',
    executionId: execution_?.id ?? 'local',
    nodeId: name,
  };
  const mapRunArn = `arn:aws:states:us-east-1:000000000000:mapRun:local/${name}:${execution_?.id ?? 'local'}`;
  const entries = results.map((output, index) => ({
    ExecutionArn: `${mapRunArn}:${index}`,
    Input: JSON.stringify({ index }),
    Output: JSON.stringify(output),
    Status: 'SUCCEEDED',
  }));
  const file = await payloads.putJson(scope, entries);
  const writer = map.ResultWriter as { Parameters?: { Bucket?: string } } | undefined;
  const bucket = writer?.Parameters?.Bucket ?? 'local';
  const manifest = await payloads.putJson(scope, {
    DestinationBucket: bucket,
    MapRunArn: mapRunArn,
    ResultFiles: { SUCCEEDED: [{ Key: file.$ffref, Size: file.bytes }], FAILED: [], PENDING: [] },
  });
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifest.$ffref } };
}
