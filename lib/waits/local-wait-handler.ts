import type { WaitAnswer } from '../store/wait-store.ts';
import { type LocalTaskTokens, localTaskToken } from './local-task-tokens.ts';
import { WaitsError } from './task-tokens.ts';
import { beginWait, expireWait, parseWaitTask, tenantOf, type WaitBeginDeps, waitKeyOf } from './waits.ts';

/** What the local runner asks of a `.waitForTaskToken` Task: the answer that ends it. */
export type LocalWaitHandler = (
  payload: unknown,
  context: { signal: AbortSignal; onWaiting?: () => void },
) => Promise<WaitAnswer>;

/** setTimeout holds at most 2^31 - 1 ms; longer waits sleep in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The local stand-in for Step Functions' task tokens: the Task's handler registers the wait
 * (`beginWait`: the wait store, `notify`, early events) and then waits — on the local token port
 * for an answer, and on the wait's own deadline, kept in the store — so a run resumed after a
 * restart waits for what is left of its timeout, not a new one. The token is
 * `local:<tenant>:<executionId>:<wait key>`: the same after a restart, so a resumed run finds its wait.
 */
export function createLocalWaitHandler(deps: WaitBeginDeps & { tokens: LocalTaskTokens }): LocalWaitHandler {
  return async (payload, context) => {
    const draft = parseWaitTask({ ...(payload as Record<string, unknown>), taskToken: 'local' });
    const token = localTaskToken(tenantOf(draft), draft.execution.id, waitKeyOf(draft));
    const task = { ...draft, taskToken: token };
    const waiter = deps.tokens.expect(token);
    try {
      const begun = await beginWait(deps, task);
      if (begun.answer) return begun.answer;
      context.onWaiting?.();
      return await untilAnswered(waiter.answered, begun.deadline, context.signal, () =>
        expireWait(deps, begun.tenant, begun.executionId, begun.nodeId),
      );
    } finally {
      waiter.dispose();
    }
  };
}

function untilAnswered(
  answered: Promise<WaitAnswer>,
  deadline: number | undefined,
  signal: AbortSignal,
  expire: () => Promise<WaitAnswer>,
): Promise<WaitAnswer> {
  return new Promise<WaitAnswer>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(new WaitsError('the run stopped while the node waited'));
    };
    const arm = () => {
      if (deadline === undefined) return;
      const left = deadline - Date.now();
      if (left > MAX_TIMER_MS) {
        timer = setTimeout(arm, MAX_TIMER_MS);
        return;
      }
      timer = setTimeout(
        () => {
          cleanup();
          expire().then(resolve, reject);
        },
        Math.max(0, left),
      );
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    arm();
    answered.then((answer) => {
      cleanup();
      resolve(answer);
    }, reject);
  });
}
