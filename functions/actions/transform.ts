import { createTransformAction, evaluateTransform } from '../../lib/actions/transform/index.ts';
import { WorkerPool } from '../../lib/local/worker-pool.ts';
import { serveWorkerTasks } from '../../lib/local/worker-serve.ts';
import { workerTransformEvaluator } from '../../lib/local/worker-transform.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/**
 * Lambda of the `transform` action. JSONata's own timeout cannot stop one slow step (a catastrophic
 * regex, a 100 MB `$pad`), so the expression runs in a child process that is killed at `timeoutMs`
 * and whose heap is limited, as locally (lib/local/worker-transform.ts): the limits of the contract
 * (`TransformTimeout`, `TransformMemoryLimit`, `TransformResultTooLarge`) hold in AWS too, instead
 * of a Lambda timeout after 60 s. The deployed code is one file, so this module is its own worker's
 * program: forked with `FLOWFORGE_TRANSFORM_WORKER=1`, it serves tasks instead. The worker is kept
 * between invocations of the sandbox (one at a time: size 1) and gets no AWS credentials.
 * No side effect to dedupe, so no idempotency store; large outputs go to the payload bucket.
 */
const WORKER_MARK = 'FLOWFORGE_TRANSFORM_WORKER';
const self = new URL(import.meta.url);

if (process.env[WORKER_MARK] === '1') serveWorkerTasks();

/** What the worker runs (exported for it: the worker imports this same file). */
export { evaluateTransform };

const pool = new WorkerPool({ size: 1, program: { entry: self, env: { [WORKER_MARK]: '1' } } });

export const handler = createActionHandler(
  createTransformAction({
    evaluate: workerTransformEvaluator(pool, { module: self, export: 'evaluateTransform' }),
  }),
);
