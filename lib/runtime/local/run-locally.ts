import '../polyfills.ts';
import { createHash } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import type { TaskPayload } from '../../actions/action.ts';
import { type IdempotencyStore, idempotencyStoreFromEnv } from '../../actions/idempotency.ts';
import { invokeAction } from '../../actions/invoke-action.ts';
import type { AslDefinition } from '../../compiler/types.ts';
import type { PayloadStore } from '../../payloads/payload-store.ts';
import { payloadStoreFromEnv } from '../../payloads/payload-store-from-env.ts';
import type { ExecutionRecord, NodeError, NodeRecord } from '../execution-record.ts';
import { causeText } from '../node-record-rules.ts';
import { InvalidDefinitionError, type MachineInput, RuntimeError } from '../state-machines.ts';
import {
  checkExecutionInput,
  dataLimitExceeded,
  EXPRESS_MAX_SECONDS,
  MAX_STATE_BYTES,
  type UncatchableStatesError,
} from './aws-limits.ts';
import { captureEvents, filterEvents } from './capture-events.ts';
import { checkMachineStructure } from './check-machine-structure.ts';
import { isDistributedChildEvent, runDistributedMap } from './distributed-map.ts';
import { ExecutionLimits } from './execution-limits.ts';
import './inline-map-concurrency.ts';
import { actionKindOfFunction } from './local-action-arns.ts';
import type { LocalExecutionEvent } from './local-execution-event.ts';
import { LocalRecordBuilder, type RunOutcome } from './local-record-builder.ts';
import {
  MAX_LOCAL_TIMEOUT_SECONDS,
  type PreparedMachine,
  prepareLocalMachine,
} from './prepare-local-machine.ts';

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** A Task that pauses until its task token is answered (waitForCallback, waitForEvent). */
export const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** How a waiting Task ended: its result `{ output }`, or an error (SendTaskSuccess / SendTaskFailure). */
export type TaskTokenAnswer = { output: unknown } | { error: string; cause?: string };

/**
 * Runs a `.waitForTaskToken` Task locally (aws-local-stepfunctions has no task tokens): resolves with
 * the answer once the wait is answered or over (lib/waits/local-wait-handler.ts).
 */
export type WaitForTaskToken = (
  payload: unknown,
  context: {
    signal: AbortSignal;
    /** Call once the wait is registered, i.e. answerable: only then does the node read `waiting`. */
    onWaiting?: () => void;
  },
) => Promise<TaskTokenAnswer>;

/** What the runner tells an action handler besides the payload. */
export interface InvokeContext {
  /** The action kind, from the Task's `FunctionName`. */
  kind: string;
  /** The Task state's name (the node id for a node's own Task). */
  stateName: string;
  /** Aborted when the run is aborted or the Task's `TimeoutSeconds` is up. */
  signal: AbortSignal;
}

/** Runs one action for a Task: resolves to the node's output, rejects with the action's error. */
export type InvokeAction = (payload: TaskPayload, context: InvokeContext) => Promise<unknown>;

export interface RunLocallyOptions {
  /**
   * Runs the action of a `lambda:invoke` Task. Default: {@link invokeRegisteredAction} (the kind's
   * `actionRegistry` entry, config parsed with its schema). A rejection surfaces to the machine as
   * the States error `Error = error.name`, `Cause = error.message`, so compiled Retry/Catch match it.
   */
  invokeAction?: InvokeAction;
  /** Handler of `.waitForTaskToken` Tasks (default: none — such a Task fails, naming what is missing). */
  waitForTaskToken?: WaitForTaskToken;
  /**
   * Where a Distributed Map reads its items and writes its results (the store the actions use;
   * default `payloadStoreFromEnv()`).
   */
  payloads?: PayloadStore;
  /**
   * Multiplies every Wait duration and every Retry interval (e.g. 0.001 turns seconds into ms).
   * Default 1. Action durations are not scaled; Task timeouts only with `scaleTimeouts`.
   */
  timeScale?: number;
  /** Also scale Task and machine `TimeoutSeconds` by `timeScale` (default false). */
  scaleTimeouts?: boolean;
  /**
   * Keep the event log for `events()` (default true). Each event holds a state's whole input or
   * output, so long-lived runs that do not need the log (the service) turn it off.
   */
  keepEvents?: boolean;
  /** Called for every event of the log, in arrival order; `nodesChanged` says a node's status changed. */
  onEvent?: (event: LocalExecutionEvent, progress: { nodesChanged: boolean }) => void;
  /** Called when a `.waitForTaskToken` state's wait is registered (its node now reads `waiting`). */
  onWaiting?: (stateName: string) => void;
  /** Aborting it aborts the run (as `abort()` does). */
  signal?: AbortSignal;
  /**
   * Node results of an earlier run of the same machine and input (a redrive): the Task of a node
   * recorded `succeeded` returns the recorded output without running the action again, and that
   * node's Wait does not wait; everything else runs again.
   */
  replay?: Readonly<Record<string, NodeRecord>>;
  /**
   * How the ASL is checked before it runs: `'structure'` (default: transitions and types, see
   * `checkMachineStructure`, microseconds), `'full'` (asl-validator, as the interpreter would;
   * ~0.5 s per new document, see {@link validateLocalMachine}) or `'none'` (checked before).
   */
  validate?: 'structure' | 'full' | 'none';
  /**
   * The machine's type, for the quotas that depend on it (default `STANDARD`): a Standard run
   * fails at 25,000 history events, an Express run times out after 5 minutes (scaled by
   * `timeScale` only with `scaleTimeouts`, as the machine's own `TimeoutSeconds`).
   */
  machineType?: 'STANDARD' | 'EXPRESS';
}

/** A run in progress. */
export interface LocalRun {
  /** Settles with the execution record once the run has ended; never rejects for a failed run. */
  promise: Promise<ExecutionRecord>;
  /** Aborts the run: the record ends `ABORTED` with `reason` (default `ExecutionAborted`) as its error. */
  abort(reason?: NodeError): void;
  /** The event log so far (a live, read-only view; empty with `keepEvents: false`). */
  events(): readonly LocalExecutionEvent[];
  /** The record as of now (status `RUNNING` until the run has ended, then the final record). */
  snapshot(): ExecutionRecord;
}

/** A Task the local runner cannot route (not `lambda:invoke`, or an unknown function). */
export class LocalTaskRoutingError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Lambda.ResourceNotFoundException';
  }
}

/**
 * What a handler's failure looks like to the interpreter: `name` is the States error, `message`
 * its cause. It carries no `cause` property because the interpreter would report that instead.
 */
class TaskFailure extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** What {@link createRegisteredInvoker} runs each Task with. */
export interface RegisteredInvokerOptions {
  /** Dedupes the Tasks of kinds with side effects (as their Lambdas do). Default: none. */
  idempotency?: IdempotencyStore;
  /** Where large outputs go and config references come from. Default: none (no offload). */
  payloads?: PayloadStore;
}

/**
 * An {@link InvokeAction} that runs the registry's action of each Task through the same core the
 * action Lambdas run (`invokeAction`: payload and config parsed, references resolved, large
 * outputs offloaded, output size checked, idempotency on execution + node + attempt + phase).
 */
export function createRegisteredInvoker(options: RegisteredInvokerOptions = {}): InvokeAction {
  return (payload, context) => {
    // As a Lambda's remaining time: an in-progress idempotency record expires at most this late.
    const deadline = Date.now() + LOCAL_TASK_DEADLINE_MS;
    return invokeAction(
      { ...payload, action: context.kind },
      {
        signal: context.signal,
        remainingTimeMs: () => Math.max(0, deadline - Date.now()),
        ...(options.idempotency ? { idempotency: options.idempotency } : {}),
        ...(options.payloads ? { payloads: options.payloads } : {}),
      },
    );
  };
}

/** The longest a Lambda runs (15 minutes): the remaining time a local Task starts with. */
const LOCAL_TASK_DEADLINE_MS = 900_000;

/**
 * The default {@link InvokeAction}: {@link createRegisteredInvoker} with the stores the environment
 * configures (idempotency when `FLOWFORGE_TABLE_NAME` names a table, payloads per
 * `payloadStoreFromEnv`), so a local run behaves like the deployed one.
 */
export async function invokeRegisteredAction(payload: TaskPayload, context: InvokeContext): Promise<unknown> {
  fromEnv ??= createRegisteredInvoker({
    idempotency: idempotencyStoreFromEnv(),
    payloads: payloadStoreFromEnv(),
  });
  return fromEnv(payload, context);
}

let fromEnv: InvokeAction | undefined;

const validated = new WeakSet<AslDefinition>();
const validatedDigests = new Set<string>();

/**
 * Checks an ASL document the way aws-local-stepfunctions does before running it (asl-validator with
 * ARN and JSONPath checks). Throws {@link InvalidDefinitionError} with the validator's messages.
 * The validator builds its schemas on every call (≈0.4–1.5 s), so documents that passed are
 * remembered, by identity and by content digest; it also writes into the document it checks, so
 * it is given a copy.
 */
export function validateLocalMachine(asl: AslDefinition): void {
  if (validated.has(asl)) return;
  const digest = createHash('sha256').update(JSON.stringify(asl)).digest('hex');
  if (!validatedDigests.has(digest)) {
    try {
      new StateMachine(structuredClone(asl) as unknown as StateMachineDefinition);
    } catch (error) {
      throw new InvalidDefinitionError((error as Error).message, { cause: error });
    }
    validatedDigests.add(digest);
  }
  validated.add(asl);
}

/**
 * Runs a compiled (JSONPath) ASL document on this machine with aws-local-stepfunctions.
 *
 * Every `arn:aws:states:::lambda:invoke` Task is routed by its `FunctionName` to an action kind
 * (`…:function:flowforge-local-<kind>` or `…-action-<kind>`), `invokeAction` runs it with the
 * Task's `Payload`, and the Task's result is `{ StatusCode: 200, ExecutedVersion, Payload: output }`
 * as from Lambda. A failing action becomes the States error `error.name` with cause `error.message`.
 * Waits and retry intervals can be scaled (see {@link prepareLocalMachine}). The record is built
 * from the event log (see {@link LocalRecordBuilder} for the rules).
 *
 * Step Functions' quotas hold as in AWS (lib/runtime/local/aws-limits.ts): every state's input and
 * output at most 256 KiB (else the run fails with the uncatchable `States.DataLimitExceeded`),
 * 25,000 history events per Standard run (`States.Runtime`), 5 minutes per Express run
 * (`TIMED_OUT`, `States.Timeout`), at most 40 concurrent Inline Map iterations.
 *
 * Throws {@link InvalidDefinitionError} synchronously when the ASL fails the chosen check, and
 * `ValidationException` (as StartExecution) when the machine input is over 256 KiB.
 */
export function runLocally(
  asl: AslDefinition,
  machineInput: MachineInput,
  options: RunLocallyOptions = {},
): LocalRun {
  const validation = options.validate ?? 'structure';
  if (validation === 'full') validateLocalMachine(asl);
  else if (validation === 'structure') checkMachineStructure(asl);
  checkExecutionInput(machineInput);
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale >= 0) || !Number.isFinite(timeScale)) {
    throw new RangeError(`timeScale must be a finite number ≥ 0, got ${timeScale}`);
  }
  const scaleTimeouts = options.scaleTimeouts ?? false;
  const prepared = prepareLocalMachine(asl, { timeScale, scaleTimeouts });
  const express = options.machineType === 'EXPRESS';
  let expressCapped = false;
  if (express) {
    const cap = EXPRESS_MAX_SECONDS * (scaleTimeouts ? timeScale : 1);
    const own = prepared.definition.TimeoutSeconds;
    if (cap > 0 && (typeof own !== 'number' || own > cap)) {
      prepared.definition.TimeoutSeconds = cap;
      expressCapped = true;
    }
  }
  const limits = new ExecutionLimits(prepared.states, !express);
  const invokeAction = options.invokeAction ?? invokeRegisteredAction;
  const replay = options.replay ?? {};
  const controller = new AbortController();
  const builder = new LocalRecordBuilder({
    waitStates: new Set(
      [...prepared.states].filter(([, state]) => state.Resource === LAMBDA_INVOKE_WAIT).map(([name]) => name),
    ),
  });
  const events: LocalExecutionEvent[] = [];
  const keepEvents = options.keepEvents ?? true;
  let abortReason: NodeError | undefined;
  let finalRecord: ExecutionRecord | undefined;

  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const waitOverrides: Record<string, number> = {};
  let runOptions: RunOptions;
  let payloads: PayloadStore | undefined;
  for (const [name, state] of prepared.states) {
    const replayed = replay[name]?.status === 'succeeded';
    const distributed = prepared.distributedMaps.get(name);
    if (distributed) {
      handlers[name] = (input) => {
        payloads ??= options.payloads ?? payloadStoreFromEnv();
        return runDistributedMap({
          name,
          map: distributed,
          input,
          payloads,
          runOptions,
          wrapRunOptions: filterEvents,
          signal: controller.signal,
        });
      };
    } else if (prepared.dynamicWaits.has(name)) {
      handlers[name] = (input) =>
        waitLocally(prepared, name, input, replayed ? 0 : timeScale, controller.signal);
    } else if (state.Type === 'Task' && state.Resource === LAMBDA_INVOKE_WAIT) {
      handlers[name] = (input) =>
        runWaitTask(name, state, input, options, replayed ? replay[name] : undefined, controller, () => {
          if (!builder.markWaiting(name)) return;
          try {
            options.onWaiting?.(name);
          } catch {
            // A failing observer must not stop the run or the record.
          }
        });
    } else if (state.Type === 'Task') {
      handlers[name] = (input) =>
        runTask({
          prepared,
          name,
          input,
          invokeAction,
          replay: replayed ? replay[name] : undefined,
          options,
          controller,
        });
    } else if (state.Type === 'Wait' && replayed) {
      waitOverrides[name] = 0;
    }
  }

  const machine = new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  runOptions = {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waitOverrides },
    // `$$.Task.Token` must resolve; the local wait handler keys its wait by execution and node instead.
    context: {
      Execution: { Id: machineInput.execution.id, Name: machineInput.execution.id },
      Task: { Token: 'local' },
    } as never,
  };
  const record = (event: LocalExecutionEvent): void => {
    if (keepEvents) events.push(event);
    const nodesChanged = builder.observe(event);
    try {
      options.onEvent?.(event, { nodesChanged });
    } catch {
      // A failing observer must not stop the run or the record.
    }
  };
  runOptions = captureEvents(runOptions, (event) => {
    try {
      // A Distributed Map's children have histories of their own (the compiler bounds one item's).
      limits.observe(event, { history: !isDistributedChildEvent(event) });
    } catch (error) {
      // The state that broke a limit fails with it (as its history shows in AWS); the throw then
      // reaches the interpreter, which fails the execution past any Retry or Catch.
      const state = (event as { state: { name: string; type: string; input: unknown } }).state;
      const failure = error as UncatchableStatesError;
      record({
        type: 'StateFailed',
        timestamp: Date.now(),
        state: { name: state.name, type: state.type, input: state.input },
        Error: failure.name,
        Cause: failure.message,
      } as LocalExecutionEvent);
      throw error;
    }
    record(event);
  });
  const execution = machine.run(machineInput as never, runOptions);

  // Events come through `captureEvents` (nested branches included); the interpreter's own log
  // is drained only so that it does not keep every event in memory.
  const drained = (async () => {
    for await (const _event of execution.eventLogs);
  })();

  const abort = (reason?: NodeError): void => {
    if (finalRecord || controller.signal.aborted) return;
    abortReason = reason;
    execution.abort();
    controller.abort();
  };
  if (options.signal?.aborted) queueMicrotask(() => abort());
  else options.signal?.addEventListener('abort', () => abort(), { once: true });

  const promise = execution.result
    .then(
      (output): RunOutcome => ({ status: 'SUCCEEDED', finalOutput: output }),
      (error: unknown): RunOutcome => outcomeOfError(error, abortReason, expressCapped),
    )
    .then(async (outcome) => {
      outcome.finishedAt = Date.now();
      controller.abort();
      await drained;
      finalRecord = builder.finish(outcome);
      return finalRecord;
    });

  return {
    promise,
    abort,
    events: () => events,
    snapshot: () => finalRecord ?? builder.snapshot(),
  };
}

function outcomeOfError(
  error: unknown,
  abortReason: NodeError | undefined,
  expressCapped: boolean,
): RunOutcome {
  if (error instanceof ExecutionAbortedError) {
    return {
      status: 'ABORTED',
      error: abortReason ?? { error: 'ExecutionAborted', cause: 'The execution was stopped' },
    };
  }
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: {
        error: 'States.Timeout',
        cause: expressCapped
          ? `The Express execution ran longer than ${EXPRESS_MAX_SECONDS} seconds, the most an Express workflow may run`
          : 'The execution ran longer than its TimeoutSeconds',
      },
    };
  }
  const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (failure instanceof Error)
    return { status: 'FAILED', error: { error: failure.name, cause: causeText(failure.message) } };
  return { status: 'FAILED', error: { error: 'States.Runtime', cause: String(failure) } };
}

interface TaskCall {
  prepared: PreparedMachine;
  name: string;
  input: unknown;
  invokeAction: InvokeAction;
  replay: NodeRecord | undefined;
  options: RunLocallyOptions;
  controller: AbortController;
}

async function runTask(call: TaskCall): Promise<unknown> {
  const { prepared, name, input } = call;
  const state = prepared.states.get(name);
  const resource = state?.Resource;
  if (resource !== LAMBDA_INVOKE) {
    throw new TaskFailure(
      'Lambda.ResourceNotFoundException',
      `Task "${name}": the local runner only runs ${LAMBDA_INVOKE} Tasks, not ${String(resource)}`,
    );
  }
  const request = isObject(input) ? input : {};
  const functionName = typeof request.FunctionName === 'string' ? request.FunctionName : '';
  const kind = actionKindOfFunction(functionName);
  if (kind === undefined) {
    throw new TaskFailure(
      'Lambda.ResourceNotFoundException',
      `Task "${name}": no local action for function "${functionName}"`,
    );
  }
  if (call.replay && isObject(request.Payload) && request.Payload.nodeId === name) {
    return lambdaResult(call.replay.output, name);
  }
  const timeoutSeconds = typeof state?.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
  const scale = call.options.scaleTimeouts ? (call.options.timeScale ?? 1) : 1;
  const signals = [call.controller.signal];
  if (timeoutSeconds !== undefined && timeoutSeconds < MAX_LOCAL_TIMEOUT_SECONDS) {
    signals.push(AbortSignal.timeout(Math.max(1, Math.round(timeoutSeconds * 1000 * scale))));
  }
  let output: unknown;
  try {
    output = await call.invokeAction(request.Payload as TaskPayload, {
      kind,
      stateName: name,
      signal: AbortSignal.any(signals),
    });
  } catch (error) {
    if (error instanceof Error) throw new TaskFailure(error.name, lambdaErrorCause(error));
    throw new TaskFailure('Error', String(error));
  }
  return lambdaResult(output, name);
}

async function runWaitTask(
  name: string,
  state: { TimeoutSeconds?: unknown } | undefined,
  input: unknown,
  options: RunLocallyOptions,
  replay: NodeRecord | undefined,
  controller: AbortController,
  onWaiting: () => void,
): Promise<unknown> {
  if (replay) return { output: replay.output ?? null };
  const request = isObject(input) ? input : {};
  if (!options.waitForTaskToken) {
    throw new TaskFailure(
      'States.Runtime',
      `Task "${name}" waits for a callback or an event, which needs the local server (npm start) to answer it`,
    );
  }
  // The Task's own TimeoutSeconds bounds the wait, as in AWS (States.Timeout; a subflow's child keeps its own).
  const timeoutSeconds = typeof state?.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
  const scale = options.scaleTimeouts ? (options.timeScale ?? 1) : 1;
  const timeout =
    timeoutSeconds !== undefined && timeoutSeconds < MAX_LOCAL_TIMEOUT_SECONDS
      ? AbortSignal.timeout(Math.max(1, Math.round(timeoutSeconds * 1000 * scale)))
      : undefined;
  const signal = timeout ? AbortSignal.any([controller.signal, timeout]) : controller.signal;
  let answer: TaskTokenAnswer;
  try {
    answer = await options.waitForTaskToken(request.Payload, { signal, onWaiting });
  } catch (error) {
    if (timeout?.aborted && !controller.signal.aborted) {
      throw new TaskFailure('States.Timeout', `Task "${name}" waited longer than its TimeoutSeconds`);
    }
    // As a Lambda's error: its name is the States error (SubflowDepthExceeded, …).
    if (error instanceof Error) throw new TaskFailure(error.name, lambdaErrorCause(error));
    throw new TaskFailure('Error', String(error));
  }
  if ('error' in answer) throw new TaskFailure(answer.error, answer.cause ?? '');
  return { output: answer.output ?? null };
}

/**
 * The Cause Step Functions sees when a Lambda function throws: the Node.js runtime's JSON
 * `{"errorType","errorMessage","trace"}` (the record builders keep only the message).
 */
export function lambdaErrorCause(error: Error): string {
  return JSON.stringify({
    errorType: error.name,
    errorMessage: error.message,
    trace: (error.stack ?? `${error.name}: ${error.message}`).split('\n'),
  });
}

/** The most a Step Functions state may carry (256 KiB of UTF-8 JSON); see lib/runtime/local/aws-limits.ts. */
export { MAX_STATE_BYTES };

/**
 * The result of a synchronous Lambda invoke through `lambda:invoke`, the output serialised as
 * Lambda does; an output over {@link MAX_STATE_BYTES} fails the Task with `States.DataLimitExceeded`.
 */
function lambdaResult(output: unknown, stateName: string): unknown {
  const text = output === undefined ? 'null' : JSON.stringify(output);
  const bytes = text === undefined ? 4 : Buffer.byteLength(text);
  if (bytes > MAX_STATE_BYTES) throw dataLimitExceeded('result', stateName, bytes);
  const payload = text === undefined ? null : JSON.parse(text);
  return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: payload };
}

async function waitLocally(
  prepared: PreparedMachine,
  name: string,
  input: unknown,
  timeScale: number,
  signal: AbortSignal,
): Promise<unknown> {
  const kind = prepared.dynamicWaits.get(name)?.kind;
  const request = isObject(input) ? input : {};
  let ms: number;
  if (kind === 'seconds') {
    const seconds = request.seconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new TaskFailure('States.Runtime', `Wait "${name}": SecondsPath must select an integer ≥ 0`);
    }
    ms = seconds * 1000;
  } else {
    const timestamp = typeof request.timestamp === 'string' ? Date.parse(request.timestamp) : Number.NaN;
    if (Number.isNaN(timestamp)) {
      throw new TaskFailure('States.Runtime', `Wait "${name}": the timestamp is not an RFC 3339 time`);
    }
    ms = Math.max(0, timestamp - Date.now());
  }
  await sleep(ms * timeScale, signal);
  return {};
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
