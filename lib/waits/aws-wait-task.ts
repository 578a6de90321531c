import type { TaskTokens } from './task-tokens.ts';
import { TaskTokenGoneError } from './task-tokens.ts';
import { beginWait, parseWaitTask, type WaitBeginDeps } from './waits.ts';

/**
 * What the wait Lambda does with a `.waitForTaskToken` Task's payload: registers the wait with
 * Step Functions' token (`beginWait`: the wait store, `notify`, early events) and, when the wait is
 * already over (an early event, an answer that came before a retry), answers the token at once.
 * Otherwise it returns and the Task waits until `POST /callbacks/…`, the keyed route or
 * `POST /events` answers the token. A token that timed out meanwhile is ignored.
 */
export async function handleWaitTask(
  deps: WaitBeginDeps & { tokens: TaskTokens },
  payload: unknown,
): Promise<{ waiting: boolean }> {
  const task = parseWaitTask(payload);
  const begun = await beginWait(deps, task);
  if (!begun.answer) return { waiting: true };
  try {
    await deps.tokens.answer(task.taskToken, begun.answer);
  } catch (error) {
    if (!(error instanceof TaskTokenGoneError)) throw error;
  }
  return { waiting: false };
}
