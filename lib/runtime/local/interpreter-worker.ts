/**
 * The interpreter thread (see interpreter-thread.ts): runs {@link runLocally} for the main thread,
 * many runs at once, and asks the main thread to run every action Task and every wait
 * (`waitForTaskToken`), which live there with their stores. Only small messages cross: requests,
 * answers, "nodes changed", "a wait began" and the record when it is asked for (as JSON text).
 */
import { parentPort } from 'node:worker_threads';
import type { TaskPayload } from '../../actions/action.ts';
import type { AslDefinition } from '../../compiler/types.ts';
import type { PayloadStore } from '../../payloads/payload-store.ts';
import { packJsonText } from '../../store/codec.ts';
import type { ExecutionRecord } from '../execution-record.ts';
import { lowerThisThreadPriority } from './background-priority.ts';
import type { FromMain, PayloadMethod, RemoteError, ToMain } from './interpreter-messages.ts';
import { recordMessage } from './record-json.ts';
import { type LocalRun, runLocally, type TaskTokenAnswer } from './run-locally.ts';
import { observeRunProgress } from './run-progress.ts';

const port = parentPort;
if (!port) throw new Error('interpreter-worker.ts runs in a worker thread');
lowerThisThreadPriority();

interface Running {
  run: LocalRun;
  /** The main thread was told that nodes changed since it last read the record. */
  changeSent: boolean;
}

const runs = new Map<number, Running>();
/** The machines' ASL documents, by the main thread's id (sent once per machine, see interpreter-thread.ts). */
const asls = new Map<number, AslDefinition>();
/** Calls waiting for the main thread's answer, by call id. */
const calls = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
let nextCall = 1;

const send = (message: ToMain): void => port.postMessage(message);

/** An error of the main thread as it was thrown there (name, message and stack kept). */
const revive = (error: RemoteError): unknown => {
  if (error.nonError !== undefined) return error.nonError;
  const revived = new Error(error.message);
  revived.name = error.name;
  revived.stack = error.stack;
  return revived;
};

/** The `onWaiting` of wait calls in flight, told by the main thread (`waiting`) once the wait is registered. */
const waitingCalls = new Map<number, () => void>();

/** Runs `request` in the main thread; `signal` aborting there aborts it too (with its reason's name). */
const callMain = (
  runId: number,
  request:
    | { kind: 'invoke'; payload: TaskPayload; actionKind: string; stateName: string }
    | { kind: 'wait'; payload: unknown }
    | { kind: 'payloads'; method: PayloadMethod; args: unknown[] },
  signal?: AbortSignal,
  onWaiting?: () => void,
): Promise<unknown> => {
  const callId = nextCall++;
  if (onWaiting) waitingCalls.set(callId, onWaiting);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      const reason = signal?.reason as { name?: unknown; message?: unknown } | undefined;
      send({
        type: 'cancel',
        callId,
        reason: {
          name: typeof reason?.name === 'string' ? reason.name : 'AbortError',
          message: typeof reason?.message === 'string' ? reason.message : 'This operation was aborted',
        },
      });
    };
    calls.set(callId, {
      resolve: (value) => {
        signal?.removeEventListener('abort', onAbort);
        waitingCalls.delete(callId);
        resolve(value);
      },
      reject: (error) => {
        signal?.removeEventListener('abort', onAbort);
        waitingCalls.delete(callId);
        reject(error);
      },
    });
    send({ type: 'call', runId, callId, ...request });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
};

const start = (message: Extract<FromMain, { type: 'start' }>): void => {
  const { runId } = message;
  if (message.asl) asls.set(message.aslId, message.asl);
  let running: Running | undefined;
  const progress = observeRunProgress({
    onWaitEntered: () => send({ type: 'wait-entered', runId }),
    onNodesChanged: () => {
      if (!running || running.changeSent) return;
      running.changeSent = true;
      send({ type: 'changed', runId });
    },
  });
  let run: LocalRun;
  try {
    const asl = asls.get(message.aslId);
    if (!asl) throw new Error(`the interpreter thread holds no ASL ${message.aslId}`);
    run = runLocally(asl, message.input, {
      ...message.options,
      keepEvents: false,
      invokeAction: (payload, context) =>
        callMain(
          runId,
          { kind: 'invoke', payload, actionKind: context.kind, stateName: context.stateName },
          context.signal,
        ),
      ...(message.hasWaitHandler
        ? {
            waitForTaskToken: (payload, context) =>
              callMain(
                runId,
                { kind: 'wait', payload },
                context.signal,
                context.onWaiting,
              ) as Promise<TaskTokenAnswer>,
          }
        : {}),
      ...(message.hasPayloads ? { payloads: payloadsOf(runId) } : {}),
      onEvent: progress.onEvent,
      onWaiting: progress.onWaiting,
    });
  } catch (error) {
    send({ type: 'refused', runId, error: toRemote(error) });
    return;
  }
  running = { run, changeSent: false };
  runs.set(runId, running);
  run.promise.then(
    (record: ExecutionRecord) => {
      runs.delete(runId);
      // Serialised and packed for the store here, at the thread's low priority, not on the API's loop.
      send({
        type: 'done',
        runId,
        record: recordMessage(record, packJsonText),
        compensated: [...progress.compensated],
      });
    },
    (error: unknown) => {
      runs.delete(runId);
      send({ type: 'refused', runId, error: toRemote(error) });
    },
  );
};

/** The main thread's payload store, as the run's Distributed Maps use it. */
const payloadsOf = (runId: number): PayloadStore => {
  const call =
    (method: PayloadMethod) =>
    (...args: unknown[]) =>
      callMain(runId, { kind: 'payloads', method, args });
  return {
    putJson: call('putJson'),
    getJson: call('getJson'),
    putBytes: call('putBytes'),
    getBytes: call('getBytes'),
  } as PayloadStore;
};

const toRemote = (error: unknown): RemoteError =>
  error instanceof Error
    ? { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { name: 'Error', message: String(error), nonError: String(error) };

port.on('message', (message: FromMain) => {
  switch (message.type) {
    case 'start':
      start(message);
      break;
    case 'abort':
      runs.get(message.runId)?.run.abort(message.reason);
      break;
    case 'forget':
      asls.delete(message.aslId);
      break;
    case 'snapshot': {
      const running = runs.get(message.runId);
      if (running) running.changeSent = false;
      const record = running?.run.snapshot();
      send({
        type: 'snapshot',
        requestId: message.requestId,
        record: record === undefined ? undefined : recordMessage(record),
      });
      break;
    }
    case 'waiting':
      waitingCalls.get(message.callId)?.();
      break;
    case 'answer': {
      const call = calls.get(message.callId);
      if (!call) break;
      calls.delete(message.callId);
      if (message.error) call.reject(revive(message.error));
      else call.resolve(message.value);
      break;
    }
  }
});
send({ type: 'ready' });
