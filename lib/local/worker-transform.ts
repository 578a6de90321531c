import { type TransformEvaluator, type TransformTask, transformErrorOf } from '../actions/transform/index.ts';
import { sharedWorkerPool, type TaskRef, type WorkerPool } from './worker-pool.ts';

/** The heap a transform's worker may use (a 100 MB `$pad` stops here instead of in the API). */
export const TRANSFORM_MEMORY_MB = 64;

const TASK: TaskRef = {
  module: new URL('../actions/transform/index.ts', import.meta.url),
  export: 'evaluateTransform',
};

/**
 * Evaluates transforms in the worker pool: the API's event loop never runs JSONata. The worker is
 * terminated at `timeoutMs` (JSONata's own timeout cannot stop one slow regex step), its heap is
 * `TRANSFORM_MEMORY_MB`, and the result over `maxResultBytes` is refused inside the worker.
 * `task` names where `evaluateTransform` is exported (a Lambda bundle exports it itself).
 */
export const workerTransformEvaluator =
  (pool: WorkerPool = sharedWorkerPool(), task: TaskRef = TASK): TransformEvaluator =>
  async (transform: TransformTask, signal?: AbortSignal) => {
    try {
      return await pool.run(
        task,
        transform,
        {
          timeoutMs: transform.timeoutMs,
          memoryMb: TRANSFORM_MEMORY_MB,
          maxOutputBytes: transform.maxResultBytes,
        },
        signal,
      );
    } catch (error) {
      throw transformErrorOf(error, transform);
    }
  };
