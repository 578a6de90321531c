import { Worker } from 'node:worker_threads';
import type { AslDefinition } from '../../compiler/types.ts';
import type { PayloadStore } from '../../payloads/payload-store.ts';
import type { NodeError } from '../execution-record.ts';
import type { MachineInput } from '../state-machines.ts';
import type { FromMain, RemoteError, ThreadRunOptions, ToMain } from './interpreter-messages.ts';
import { RecordJson } from './record-json.ts';
import { type InvokeAction, runLocally, type WaitForTaskToken } from './run-locally.ts';
import { observeRunProgress } from './run-progress.ts';

/** What `LocalStateMachines` asks of one run, wherever it executes. */
export interface MachineRunRequest {
  asl: AslDefinition;
  input: MachineInput;
  options: ThreadRunOptions;
  invokeAction?: InvokeAction;
  waitForTaskToken?: WaitForTaskToken;
  /** Where Distributed Maps read their items and write their results. */
  payloads?: PayloadStore;
  /** A `.waitForTaskToken` state was entered (journal now). */
  onWaitEntered(): void;
  /** Node statuses changed since the record was last read (journal soon). */
  onNodesChanged(): void;
}

/** A run in progress, as `LocalStateMachines` drives it. */
export interface MachineRun {
  /** The final record and the nodes whose compensation ran; never rejects. */
  promise: Promise<{ record: RecordJson; compensated: string[] }>;
  abort(reason?: NodeError): void;
  /** The record as of now (the final one once the run has ended). */
  snapshot(): Promise<RecordJson>;
}

/** Runs `request` on this thread's event loop (what `LocalStateMachines` does by default). */
export function runInline(request: MachineRunRequest): MachineRun {
  const progress = observeRunProgress(request);
  const run = runLocally(request.asl, request.input, {
    ...request.options,
    keepEvents: false,
    ...(request.invokeAction ? { invokeAction: request.invokeAction } : {}),
    ...(request.waitForTaskToken ? { waitForTaskToken: request.waitForTaskToken } : {}),
    ...(request.payloads ? { payloads: request.payloads } : {}),
    onEvent: progress.onEvent,
    onWaiting: progress.onWaiting,
  });
  return {
    promise: run.promise.then((record) => ({
      record: RecordJson.of(record),
      compensated: [...progress.compensated],
    })),
    abort: (reason) => run.abort(reason),
    snapshot: async () => RecordJson.of(run.snapshot()),
  };
}

interface ThreadRun {
  request: MachineRunRequest;
  settle(result: { record: RecordJson; compensated: string[] }): void;
  finished?: RecordJson;
  /** The last record read from the thread (what is left if the thread dies). */
  last: RecordJson;
  startedAt: string;
}

const ENTRY = new URL('./interpreter-worker.ts', import.meta.url);

// From source, the thread registers tsx before it imports its entry (on Node 20 a worker thread
// does not inherit the parent's module hooks).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => { setImmediate(() => { throw error; }); });
`;

/**
 * One worker thread that runs the interpreter (aws-local-stepfunctions, the record builder, the
 * quotas) of many executions, so that a big run — thousands of states, each cloning its state —
 * never blocks the event loop that answers HTTP requests. Every action Task and every wait is
 * proxied back to this thread (`invokeAction`, `waitForTaskToken`), where the actions, stores,
 * task tokens and idempotency live; aborting a Task's signal there (its timeout, a stop) aborts
 * it here. The thread starts on the first run; if it dies, its runs end `FAILED` (`States.Runtime`)
 * and the next run starts a new one.
 */
export class InterpreterThread {
  private worker?: Worker;
  private readonly runs = new Map<number, ThreadRun>();
  private readonly calls = new Map<number, AbortController>();
  private readonly snapshots = new Map<number, { runId: number; resolve(record: RecordJson): void }>();
  private nextId = 1;
  private closing = false;
  /**
   * The ASL documents the current thread holds, by id: a machine's ASL (megabytes for thousands of
   * nodes) is copied to the thread once, not at every start, which would block this event loop for
   * the copy. When a machine's ASL is garbage-collected here, the thread forgets it too.
   */
  private aslIds = new WeakMap<AslDefinition, number>();
  private readonly forgetAsl = new FinalizationRegistry<number>((aslId) =>
    this.post({ type: 'forget', aslId }),
  );

  run(request: MachineRunRequest): MachineRun {
    const runId = this.nextId++;
    let settle!: ThreadRun['settle'];
    const promise = new Promise<{ record: RecordJson; compensated: string[] }>((resolve) => {
      settle = resolve;
    });
    const startedAt = new Date().toISOString();
    const run: ThreadRun = {
      request,
      settle,
      startedAt,
      last: RecordJson.of({ status: 'RUNNING', nodes: {}, startedAt }),
    };
    this.runs.set(runId, run);
    const worker = this.ensureWorker();
    worker.ref();
    let aslId = this.aslIds.get(request.asl);
    const firstTime = aslId === undefined;
    if (aslId === undefined) {
      aslId = this.nextId++;
      this.aslIds.set(request.asl, aslId);
      this.forgetAsl.register(request.asl, aslId);
    }
    this.post({
      type: 'start',
      runId,
      aslId,
      ...(firstTime ? { asl: request.asl } : {}),
      input: request.input,
      options: request.options,
      hasWaitHandler: request.waitForTaskToken !== undefined,
      hasPayloads: request.payloads !== undefined,
    });
    return {
      promise,
      abort: (reason) => {
        if (!run.finished) this.post({ type: 'abort', runId, ...(reason ? { reason } : {}) });
      },
      snapshot: () => {
        if (run.finished) return Promise.resolve(run.finished);
        const requestId = this.nextId++;
        return new Promise((resolve) => {
          this.snapshots.set(requestId, { runId, resolve });
          this.post({ type: 'snapshot', runId, requestId });
        });
      },
    };
  }

  /** Starts the thread now (else the first run starts it). */
  warm(): void {
    const worker = this.ensureWorker();
    if (this.runs.size === 0) worker.unref();
  }

  /** Terminates the thread (its runs end as if it died); `run` starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.closing = true;
    try {
      await worker.terminate();
    } finally {
      this.closing = false;
    }
  }

  private post(message: FromMain): void {
    this.worker?.postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const fromSource = ENTRY.pathname.endsWith('.ts');
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {
        entry: ENTRY.href,
        ...(fromSource ? { tsx: import.meta.resolve('tsx/esm/api') } : {}),
      },
      // Not the parent's flags (an inspector port, a test runner's loaders), nor its stdin.
      execArgv: [],
      stdin: false,
    });
    // A new thread holds no ASL yet.
    this.aslIds = new WeakMap();
    worker.on('message', (message: ToMain) => this.receive(message));
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) =>
      this.lost(worker, new Error(`the interpreter thread exited with code ${code}`)),
    );
    this.worker = worker;
    return worker;
  }

  private receive(message: ToMain): void {
    switch (message.type) {
      case 'ready':
        break;
      case 'call':
        this.call(message);
        break;
      case 'cancel': {
        const controller = this.calls.get(message.callId);
        controller?.abort(new DOMException(message.reason.message, message.reason.name));
        break;
      }
      case 'changed':
        this.runs.get(message.runId)?.request.onNodesChanged();
        break;
      case 'wait-entered':
        this.runs.get(message.runId)?.request.onWaitEntered();
        break;
      case 'snapshot': {
        const pending = this.snapshots.get(message.requestId);
        if (!pending) break;
        this.snapshots.delete(message.requestId);
        const run = this.runs.get(pending.runId);
        const record = message.record && RecordJson.fromMessage(message.record);
        if (record && run) run.last = record;
        pending.resolve(
          run?.finished ?? record ?? run?.last ?? RecordJson.of({ status: 'RUNNING', nodes: {} }),
        );
        break;
      }
      case 'done':
        this.finish(message.runId, RecordJson.fromMessage(message.record), message.compensated);
        break;
      case 'refused': {
        const run = this.runs.get(message.runId);
        if (run) this.finish(message.runId, failed(run, message.error.name, message.error.message), []);
        break;
      }
    }
  }

  private finish(runId: number, record: RecordJson, compensated: string[]): void {
    const run = this.runs.get(runId);
    if (!run) return;
    run.finished = record;
    this.runs.delete(runId);
    for (const [requestId, pending] of this.snapshots) {
      if (pending.runId !== runId) continue;
      this.snapshots.delete(requestId);
      pending.resolve(record);
    }
    if (this.runs.size === 0) this.worker?.unref();
    run.settle({ record, compensated });
  }

  private call(message: Extract<ToMain, { type: 'call' }>): void {
    const run = this.runs.get(message.runId);
    const controller = new AbortController();
    this.calls.set(message.callId, controller);
    const work = (async () => {
      if (!run) throw new Error('the run of this call has ended');
      if (message.kind === 'invoke') {
        const invoke = run.request.invokeAction;
        if (!invoke) throw new Error('no invokeAction: the interpreter thread cannot run actions');
        return invoke(message.payload, {
          kind: message.actionKind,
          stateName: message.stateName,
          signal: controller.signal,
        });
      }
      if (message.kind === 'payloads') {
        const payloads = run.request.payloads;
        if (!payloads) throw new Error('no payload store');
        const method = payloads[message.method] as (...args: unknown[]) => Promise<unknown>;
        return method.apply(payloads, message.args);
      }
      const wait = run.request.waitForTaskToken;
      if (!wait) throw new Error('no waitForTaskToken handler');
      // The handler says when the wait is registered: the interpreter thread marks the node `waiting`.
      const callId = message.callId;
      return wait(message.payload, {
        signal: controller.signal,
        onWaiting: () => this.post({ type: 'waiting', callId }),
      });
    })();
    work.then(
      (value) => this.answer(message.callId, { value }),
      (error: unknown) => this.answer(message.callId, { error: toRemote(error) }),
    );
  }

  private answer(callId: number, answer: { value?: unknown; error?: RemoteError }): void {
    this.calls.delete(callId);
    try {
      this.post({ type: 'answer', callId, ...answer });
    } catch {
      // Not structured-cloneable (a function in an output): the JSON of it, as Lambda would return.
      const text = JSON.stringify(answer.value);
      this.post({ type: 'answer', callId, value: text === undefined ? undefined : JSON.parse(text) });
    }
  }

  /** The thread died (or was closed): its runs end, its pending reads answer the last record. */
  private lost(worker: Worker, error: unknown): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const controller of this.calls.values()) controller.abort();
    this.calls.clear();
    const cause = this.closing
      ? 'The interpreter thread was closed while the execution ran'
      : `The interpreter thread stopped: ${error instanceof Error ? error.message : String(error)}`;
    for (const [runId, run] of [...this.runs]) {
      this.finish(runId, failed({ ...run, last: run.last }, 'States.Runtime', cause), []);
    }
  }
}

/** The record of a run that could not go on: `FAILED` with the nodes last read. */
function failed(run: Pick<ThreadRun, 'last' | 'startedAt'>, error: string, cause: string): RecordJson {
  const last = run.last.peek();
  return RecordJson.of({
    ...last,
    status: 'FAILED',
    error: { error, cause },
    startedAt: last.startedAt ?? run.startedAt,
    finishedAt: new Date().toISOString(),
  });
}

function toRemote(error: unknown): RemoteError {
  return error instanceof Error
    ? { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { name: 'Error', message: String(error), nonError: String(error) };
}
