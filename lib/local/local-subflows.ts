import type { InvokeAction, TaskTokenAnswer, WaitForTaskToken } from '../runtime/local/run-locally.ts';
import { parseSubflowTask, subflowWaitKey } from '../runtime/subflow-task.ts';
import { type SubflowDeps, startSubflow } from '../service/subflows.ts';
import { type LocalTaskTokens, localTaskToken } from '../waits/local-task-tokens.ts';
import { WaitsError } from '../waits/task-tokens.ts';
import { tenantOf } from '../waits/waits.ts';

/** True for the payload of a subflow node's Task (`operation: "subflow"`). */
export const isSubflowPayload = (payload: unknown): boolean =>
  typeof payload === 'object' &&
  payload !== null &&
  (payload as { operation?: unknown }).operation === 'subflow';

/**
 * The local runner's side of subflows (lib/service/subflows.ts), the stand-in for the subflow
 * Lambda: `invoke` starts the child of a node that does not wait (a plain invoke: `{ executionId }`);
 * `wait` starts the child of a waiting node and resolves with the child's answer, which the local
 * server's finish hook sends to the token `local:<tenant>:<executionId>:<wait key>` — the same
 * after a restart, so a resumed parent finds its wait (and its child) again.
 */
export function createLocalSubflows(deps: () => Promise<SubflowDeps>, tokens: LocalTaskTokens) {
  const invoke: InvokeAction = async (payload) => {
    const task = parseSubflowTask(payload);
    const started = await startSubflow(await deps(), { ...task, config: { ...task.config, wait: false } });
    return { executionId: started.executionId };
  };
  const wait: WaitForTaskToken = async (payload, context): Promise<TaskTokenAnswer> => {
    const task = parseSubflowTask({ ...(payload as Record<string, unknown>), taskToken: 'local' });
    const token = localTaskToken(tenantOf(task), task.execution.id, subflowWaitKey(task));
    const waiter = tokens.expect(token);
    try {
      const started = await startSubflow(await deps(), { ...task, taskToken: token });
      if (started.answer) return started.answer;
      // The child is started and the token expected: the node now waits (and resumes after a restart).
      context.onWaiting?.();
      return await untilAborted(waiter.answered, context.signal);
    } finally {
      waiter.dispose();
    }
  };
  return { invoke, wait };
}

function untilAborted<T>(answered: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new WaitsError('the run stopped while the node waited'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new WaitsError('the run stopped while the node waited for its subflow'));
    signal.addEventListener('abort', onAbort, { once: true });
    answered.then(
      (answer) => {
        signal.removeEventListener('abort', onAbort);
        resolve(answer);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
