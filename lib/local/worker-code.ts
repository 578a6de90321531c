import { type CodeRunner, codeErrorOf } from '../actions/code/index.ts';
import type { CodeResult } from '../actions/code/schema.ts';
import { sharedWorkerPool, type WorkerPool } from './worker-pool.ts';

/**
 * Time the worker gets beyond the code's own `timeoutMs` before it is killed: QuickJS's interrupt
 * handler normally ends the code at `timeoutMs` and reports `CodeTimeout` itself; the kill is the
 * backstop for time spent inside one native built-in, where no interrupt check runs.
 */
export const CODE_KILL_GRACE_MS = 1000;
/** The heap of a code worker (QuickJS's own memory is WebAssembly memory, limited by `memoryMb`). */
export const CODE_WORKER_MEMORY_MB = 256;

const TASK = { module: new URL('./code-worker-task.ts', import.meta.url), export: 'runCode' };

/** Runs code in the local worker pool: never on the API's event loop, killed past its time. */
export const workerCodeRunner =
  (pool: WorkerPool = sharedWorkerPool()): CodeRunner =>
  async (run, signal) => {
    try {
      return (await pool.run(
        TASK,
        run,
        { timeoutMs: run.timeoutMs + CODE_KILL_GRACE_MS, memoryMb: CODE_WORKER_MEMORY_MB },
        signal,
      )) as CodeResult;
    } catch (error) {
      throw codeErrorOf(error, run);
    }
  };
