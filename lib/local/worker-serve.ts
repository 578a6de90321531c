import { lowerProcessPriority } from '../runtime/local/background-priority.ts';
import type { WorkerAnswer, WorkerRequest } from './worker-pool.ts';

const modules = new Map<string, Promise<Record<string, unknown>>>();

const detailsOf = (error: unknown): Record<string, string | number> => {
  const details: Record<string, string | number> = {};
  if (typeof error !== 'object' || error === null) return details;
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number') details[key] = value;
  }
  return details;
};

/**
 * Serves `WorkerPool` requests in this process: imports a task's module (once per worker), says it
 * started, runs the export and answers its output as JSON text, refused here when over the limit.
 * The process boots at the pool's boot priority and lowers itself to the background priority
 * before its first task (lib/runtime/local/background-priority.ts): the user's code never runs above it.
 * The program of a pool's worker calls it: lib/local/worker-entry.ts, or a Lambda bundle that is its
 * own worker (functions/actions/transform.ts).
 */
export function serveWorkerTasks(): void {
  let lowered = false;
  process.on('message', async (request: WorkerRequest) => {
    const answer = (message: WorkerAnswer | { started: true }) => process.send?.(message);
    try {
      let loading = modules.get(request.module);
      if (!loading) {
        loading = import(request.module) as Promise<Record<string, unknown>>;
        modules.set(request.module, loading);
      }
      const task = (await loading)[request.export];
      if (typeof task !== 'function')
        throw new TypeError(`${request.module} has no function ${request.export}`);
      if (!lowered) {
        lowerProcessPriority(process.pid);
        lowered = true;
      }
      answer({ started: true });
      const output = await (task as (input: unknown) => unknown)(request.input);
      const json = output === undefined ? undefined : JSON.stringify(output);
      const bytes = json === undefined ? 0 : Buffer.byteLength(json);
      if (bytes > request.maxOutputBytes) answer({ ok: false, tooLarge: bytes });
      else answer({ ok: true, json });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      answer({
        ok: false,
        name: failure.name,
        message: failure.message,
        details: detailsOf(error),
        recoverable: !(error instanceof RangeError),
      });
    }
  });

  // The parent went away (even by kill -9): so does its worker.
  process.on('disconnect', () => process.exit(0));
}
