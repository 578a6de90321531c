import { parseSubflowTask } from '../runtime/subflow-task.ts';
import { TaskTokenGoneError } from '../waits/task-tokens.ts';
import { type SubflowDeps, startSubflow } from './subflows.ts';

/**
 * What the subflow Lambda does with a subflow node's Task payload. A node that does not wait gets
 * `{ executionId }` as its result. A waiting node's Task is `.waitForTaskToken`: the child is
 * started with the wait registered under `taskToken`, and the function returns; the child's status
 * write-back answers the token later — or this function at once, when the child already ended
 * (a retried invocation). Errors (`SubflowDepthExceeded`, `SubflowFailed`) fail the Task with their name.
 */
export async function handleSubflowTask(
  deps: SubflowDeps,
  payload: unknown,
): Promise<{ executionId: string; waiting?: boolean }> {
  const task = parseSubflowTask(payload);
  const started = await startSubflow(deps, task);
  if (task.taskToken === undefined || !task.config.wait) return { executionId: started.executionId };
  if (!started.answer) return { executionId: started.executionId, waiting: true };
  try {
    await deps.taskTokens?.answer(task.taskToken, started.answer);
  } catch (error) {
    if (!(error instanceof TaskTokenGoneError)) throw error;
  }
  return { executionId: started.executionId, waiting: false };
}
