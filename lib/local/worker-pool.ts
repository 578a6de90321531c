import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BOOT_PRIORITY, lowerProcessPriority } from '../runtime/local/background-priority.ts';

/**
 * A pool of workers that runs user work (JSONata, regexes, sandboxed code) off the event loop that
 * answers HTTP requests, with hard limits that stop a task for real: past `timeoutMs` the worker is
 * killed (a catastrophic regex cannot be interrupted any other way), `memoryMb` is the worker's V8
 * heap limit, and the result is refused in the worker when its JSON is over `maxOutputBytes`,
 * before the main thread pays for it.
 *
 * Workers are child processes, not worker threads: on Node 20 a worker thread that outgrows its
 * `resourceLimits` with one large allocation (`$pad("", 1e8)`) aborts the whole process instead of
 * ending the worker; a child process that runs out of heap dies alone.
 *
 * A task is a module and one of its exports: `async (input) => output`, both JSON-compatible (they
 * cross threads by structured clone; the output as JSON text). The module is imported once per worker.
 */

/** Hard limits of one task. */
export interface TaskLimits {
  /** Wall-clock time of the task, queueing excluded; past it the worker is terminated. */
  timeoutMs: number;
  /** The worker's old-generation heap (MB). Workers are kept per limit. Default 128. */
  memoryMb?: number;
  /** The most bytes the output may have as JSON (default 8 MiB). */
  maxOutputBytes?: number;
}

/** Which code a task runs: `export` of the ES module at `module` (a file URL or an absolute path). */
export interface TaskRef {
  module: string | URL;
  export: string;
}

/** Base of the pool's errors. */
export class WorkerPoolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerPoolError';
  }
}
/** The task ran past `timeoutMs`; its worker was terminated. */
export class WorkerTimeoutError extends WorkerPoolError {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerTimeout';
  }
}
/** The task's worker ran out of its heap (`memoryMb`) and was stopped by V8. */
export class WorkerMemoryLimitError extends WorkerPoolError {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerMemoryLimit';
  }
}
/** The task's output is over `maxOutputBytes` as JSON. */
export class WorkerOutputTooLargeError extends WorkerPoolError {
  constructor(
    message: string,
    readonly bytes: number,
  ) {
    super(message);
    this.name = 'WorkerOutputTooLarge';
  }
}
/**
 * The task threw: `name` and `message` are the thrown error's (so the caller can map its own error
 * classes back), `details` any own enumerable string/number fields it carried (e.g. `code`).
 */
export class WorkerTaskError extends WorkerPoolError {
  constructor(
    name: string,
    message: string,
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = name;
  }
}
/** The pool was closed before the task ran, or the task was aborted by its signal. */
export class WorkerPoolClosedError extends WorkerPoolError {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerPoolClosed';
  }
}

export interface WorkerPoolOptions {
  /** Workers running at once (default: the machine's cores, `os.availableParallelism()`). */
  size?: number;
  /**
   * The workers' program (default lib/local/worker-entry.ts) and what its environment adds. A
   * Lambda bundle is one file, so it passes itself, marked to serve tasks (functions/actions/transform.ts).
   */
  program?: { entry: URL; env?: Record<string, string> };
  /** Idle workers are ended after this long (default 30 s); the next task starts a new one. */
  idleMs?: number;
}

interface Job {
  task: TaskRef;
  input: unknown;
  limits: Required<TaskLimits>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  signal?: AbortSignal | undefined;
}

interface Slot {
  worker: ChildProcess;
  memoryMb: number;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
}

const DEFAULT_MEMORY_MB = 128;
const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024;
const ENTRY = new URL('./worker-entry.ts', import.meta.url);

/** AWS credentials a Lambda's environment holds: user work never gets them. */
const CREDENTIALS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

/** The worker's environment: this process's, without AWS credentials or NODE_OPTIONS, plus `extra`. */
const workerEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', ...extra };
  for (const name of CREDENTIALS) delete env[name];
  return env;
};

/**
 * The worker's Node flags: the parent's (tsx when the program is TypeScript source), without the
 * inspector, the parent's own limits (the worker gets its own below) and anything that names
 * another program than the worker's entry.
 */
export const workerExecArgv = (
  entry: URL,
  memoryMb: number,
  parentExecArgv: readonly string[] = process.execArgv,
): string[] => {
  const inherited = forkableFlags(parentExecArgv);
  const withTsx =
    entry.pathname.endsWith('.ts') && !inherited.some((arg) => arg.includes('tsx'))
      ? [...inherited, '--import', 'tsx']
      : inherited;
  return [...withTsx, `--max-old-space-size=${memoryMb}`, '--max-semi-space-size=8', '--stack-size=2000'];
};

/** Flags whose next argument (or `=value`) is a program or how to read one: `node -e '…'` and the like. */
const PROGRAM_FLAGS = new Set(['-e', '--eval', '-p', '--print', '-pe', '--input-type']);
/** Flags that make node do something else than run the entry: a REPL, a syntax check. */
const MODE_FLAGS = new Set(['-i', '--interactive', '-c', '--check']);
/** Flags the worker sets for itself (a second copy of each would pile up in a worker's worker). */
const OWN_FLAGS = ['--max-old-space-size', '--max-semi-space-size', '--stack-size'];

/**
 * The parent's flags a forked worker may keep. A parent started as `node -e '<code>'` has the code
 * in its execArgv; passed on, the worker would run that code instead of its entry — and if the
 * code uses a pool, fork another worker that does the same, without end (seen with the code
 * bench's `node --input-type=module -e`, which imports the transform Lambda: thousands of processes).
 */
function forkableFlags(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    const name = arg.startsWith('--') ? (arg.split('=', 1)[0] as string) : arg;
    if (PROGRAM_FLAGS.has(name)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    if (MODE_FLAGS.has(arg) || arg.startsWith('--inspect')) continue;
    if (OWN_FLAGS.some((flag) => name === flag)) continue;
    kept.push(arg);
  }
  return kept;
}

/** See the module comment. */
export class WorkerPool {
  readonly size: number;
  private readonly idleMs: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private closed = false;

  private readonly program: { entry: URL; env?: Record<string, string> };

  constructor(options: WorkerPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.program = options.program ?? { entry: ENTRY };
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Runs `task` with `input` in a worker under `limits`; rejects with one of the pool's errors. */
  run(task: TaskRef, input: unknown, limits: TaskLimits, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new WorkerPoolClosedError('the worker pool is closed'));
    if (signal?.aborted) return Promise.reject(new WorkerPoolClosedError('the task was aborted'));
    return new Promise((resolve, reject) => {
      this.queue.push({
        task,
        input,
        limits: {
          timeoutMs: limits.timeoutMs,
          memoryMb: limits.memoryMb ?? DEFAULT_MEMORY_MB,
          maxOutputBytes: limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
        },
        resolve,
        reject,
        signal,
      });
      this.pump();
    });
  }

  /** Rejects queued tasks and terminates every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new WorkerPoolClosedError('the worker pool closed'));
    await Promise.all([...this.slots].map((slot) => this.retire(slot)));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const job = this.queue[0] as Job;
      if (job.signal?.aborted) {
        this.queue.shift();
        job.reject(new WorkerPoolClosedError('the task was aborted'));
        continue;
      }
      let slot = [...this.slots].find((s) => !s.busy && s.memoryMb === job.limits.memoryMb);
      if (!slot) {
        const busy = [...this.slots].filter((s) => s.busy).length;
        if (busy >= this.size) return;
        // An idle worker of another memory limit makes room for one of this limit.
        const idle = [...this.slots].find((s) => !s.busy);
        if (idle && this.slots.size >= this.size) void this.retire(idle);
        slot = this.spawn(job.limits.memoryMb);
      }
      this.queue.shift();
      this.execute(slot, job);
    }
  }

  private spawn(memoryMb: number): Slot {
    const worker = fork(fileURLToPath(this.program.entry), [], {
      execArgv: workerExecArgv(this.program.entry, memoryMb),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: workerEnv(this.program.env),
    });
    // Boots below the API thread; the worker goes down to the background priority itself
    // before its first task (lib/local/worker-serve.ts).
    lowerProcessPriority(worker.pid, BOOT_PRIORITY);
    worker.unref();
    worker.channel?.unref();
    const slot: Slot = { worker, memoryMb, busy: false };
    this.slots.add(slot);
    return slot;
  }

  private async retire(slot: Slot): Promise<void> {
    this.slots.delete(slot);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    if (slot.worker.exitCode === null && slot.worker.signalCode === null) slot.worker.kill('SIGKILL');
  }

  private execute(slot: Slot, job: Job): void {
    slot.busy = true;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const { worker } = slot;
    let settled = false;
    const finish = (outcome: () => void, keepWorker: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(bootTimer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      job.signal?.removeEventListener('abort', onAbort);
      worker.unref();
      worker.channel?.unref();
      if (keepWorker && !this.closed) {
        slot.busy = false;
        slot.idleTimer = setTimeout(() => void this.retire(slot), this.idleMs).unref();
      } else {
        void this.retire(slot);
      }
      outcome();
      this.pump();
    };
    let timer: NodeJS.Timeout | undefined;
    const onMessage = (message: WorkerAnswer | { started: true }): void => {
      if ('started' in message) {
        // The clock starts once the worker is up and the task's module is loaded.
        timer = setTimeout(() => {
          finish(
            () => job.reject(new WorkerTimeoutError(`the task ran longer than ${job.limits.timeoutMs} ms`)),
            false,
          );
        }, job.limits.timeoutMs);
        return;
      }
      if (message.ok) {
        finish(() => job.resolve(message.json === undefined ? undefined : JSON.parse(message.json)), true);
      } else if (message.tooLarge !== undefined) {
        const bytes = message.tooLarge;
        finish(
          () =>
            job.reject(
              new WorkerOutputTooLargeError(
                `the output is ${bytes} bytes as JSON, over ${job.limits.maxOutputBytes}`,
                bytes,
              ),
            ),
          true,
        );
      } else {
        finish(
          () => job.reject(new WorkerTaskError(message.name, message.message, message.details)),
          message.recoverable,
        );
      }
    };
    const onError = (error: Error): void => {
      finish(
        () => job.reject(new WorkerPoolError(`the worker failed: ${error.message}`, { cause: error })),
        false,
      );
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // V8 aborts a process that outgrows its heap (SIGABRT, or exit code 134 through a shell).
      const outOfMemory = signal === 'SIGABRT' || code === 134;
      finish(
        () =>
          job.reject(
            outOfMemory
              ? new WorkerMemoryLimitError(`the task used more than its ${job.limits.memoryMb} MB of memory`)
              : new WorkerPoolError(`the worker exited (${signal ?? `code ${code}`})`),
          ),
        false,
      );
    };
    const onAbort = (): void => {
      finish(() => job.reject(new WorkerPoolClosedError('the task was aborted')), false);
    };
    // A worker that never starts the task (it cannot boot) still ends: a generous start-up allowance.
    const bootTimer = setTimeout(() => {
      if (timer === undefined)
        finish(() => job.reject(new WorkerPoolError('the worker did not start the task within 30 s')), false);
    }, 30_000);
    bootTimer.unref();
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    job.signal?.addEventListener('abort', onAbort, { once: true });
    const module = job.task.module instanceof URL ? job.task.module.href : moduleUrl(job.task.module);
    worker.ref();
    worker.channel?.ref();
    worker.send({
      module,
      export: job.task.export,
      input: job.input,
      maxOutputBytes: job.limits.maxOutputBytes,
    } satisfies WorkerRequest);
  }
}

const moduleUrl = (module: string): string =>
  /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module) ? module : pathToFileURL(module).href;

/** What the pool posts to a worker. */
export interface WorkerRequest {
  module: string;
  export: string;
  input: unknown;
  maxOutputBytes: number;
}

/** What a worker answers. */
export type WorkerAnswer =
  | { ok: true; json: string | undefined }
  | { ok: false; tooLarge: number }
  | {
      ok: false;
      tooLarge?: undefined;
      name: string;
      message: string;
      details: Record<string, string | number>;
      /** False when the worker's state may be damaged (a stack overflow): it is replaced. */
      recoverable: boolean;
    };

let shared: WorkerPool | undefined;

/** The process's one pool (sized to the cores), created on first use. */
export const sharedWorkerPool = (): WorkerPool => {
  shared ??= new WorkerPool();
  return shared;
};
