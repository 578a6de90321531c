import { executionNameFor } from '../runtime/execution-names.ts';
import {
  childAnswer,
  childDepth,
  SubflowDepthExceededError,
  SubflowFailedError,
  type SubflowTask,
  subflowWaitKey,
} from '../runtime/subflow-task.ts';
import { NotFoundError } from '../store/errors.ts';
import type { ExecutionItem } from '../store/types.ts';
import type { WaitAnswer, WaitItem } from '../store/wait-store.ts';
import { TaskTokenGoneError } from '../waits/task-tokens.ts';
import { tenantOf } from '../waits/waits.ts';
import type { Deps } from './deps.ts';
import { ServiceError } from './errors.ts';
import { startExecution } from './start-execution.ts';
import { isTerminal } from './views.ts';

/**
 * Subflows (DESIGN.md §2.1): a parent's `subflow` node starts a child execution through the one
 * start path (an execution record, idempotency, the tenant's flows only) and, when it waits, is
 * answered by the child's own status write-back — no polling:
 *
 * 1. The subflow function (AWS: `<prefix>-action-subflow`; locally the runner) gets the node's Task
 *    payload. A waiting node's Task is `.waitForTaskToken`: its wait is registered first (kind
 *    `subflow`, with the token) and the child is noted under the parent, so that however fast the
 *    child ends, its end finds the wait, and stopping the parent finds the child.
 * 2. The child starts with an idempotency key of the parent's run, node (iteration) and attempt:
 *    a retried Lambda starts no second child, a retry of the node starts a new one.
 * 3. When the child's record becomes final ({@link settleSubflowFamily}, called by the status
 *    write-back in AWS and by the local server), its answer completes the parent's wait (once,
 *    conditionally) and goes to the parent's task token: its `output`, or `SubflowFailed` with the
 *    child's error as cause. A parent that ends other than SUCCEEDED stops the children it waits for.
 */

/** How long a parent's note of its child is kept (a Standard execution runs at most a year). */
const YEAR_MS = 366 * 86_400_000;

/** What a started subflow is: its child, and the answer when the child has already ended. */
export interface SubflowStarted {
  executionId: string;
  answer?: WaitAnswer;
}

/** What the subflow use cases need of the service: the start path's stores, machines, log and clock. */
export type SubflowDeps = Pick<Deps, 'stores' | 'stateMachines' | 'log' | 'clock' | 'taskTokens'>;

/**
 * Starts the child of a subflow node (idempotently: the same Task again finds the same child). A
 * waiting node (`task.taskToken`, or `token` for the local runner) registers its wait first and
 * gets `answer` at once when the child has already ended. Refusals are node errors:
 * {@link SubflowDepthExceededError} past depth 5; {@link SubflowFailedError} when the flow or
 * version does not exist in the parent's tenant (deleted since the save) or refuses the input.
 */
export async function startSubflow(
  deps: SubflowDeps,
  task: SubflowTask,
  token = task.taskToken,
): Promise<SubflowStarted> {
  const tenant = tenantOf(task);
  const depth = childDepth(task);
  const waitKey = subflowWaitKey(task);
  const parentId = task.execution.id;
  const wait = task.config.wait && token !== undefined;
  if (wait) {
    const registered = await registerWait(deps, tenant, parentId, waitKey, task, token);
    if (registered.state === 'completed' && registered.answer && registered.child) {
      return { executionId: registered.child, answer: registered.answer };
    }
  }
  const idempotencyKey = `${parentId}:${waitKey}`;
  // Noted before the start, so a stop of the parent finds the child however soon it comes.
  if (wait) {
    const childId = executionNameFor('subflow', idempotencyKey);
    await deps.stores.waits.putChild(tenant, parentId, childId, deps.clock().getTime() + YEAR_MS);
  }
  let started: { executionId: string };
  try {
    started = await startExecution(deps, {
      tenantId: tenant,
      flowId: task.config.flowId,
      ...(task.config.version === undefined ? {} : { version: task.config.version }),
      input: task.config.input ?? {},
      trigger: { id: null, type: 'subflow' },
      idempotencyKey,
      parent: { executionId: parentId, nodeId: task.nodeId, ...(wait ? { waitKey } : {}), depth },
    });
  } catch (error) {
    throw asNodeError(error, task);
  }
  const { executionId } = started;
  deps.log.info('subflow started', { executionId: parentId, nodeId: task.nodeId, child: executionId });
  if (!wait) return { executionId };
  const child = await deps.stores.executions.get(tenant, executionId);
  const answer = await settleChild(deps, child);
  return answer ? { executionId, answer } : { executionId };
}

async function registerWait(
  deps: SubflowDeps,
  tenant: string,
  parentId: string,
  waitKey: string,
  task: SubflowTask,
  token: string,
): Promise<WaitItem> {
  const fresh: WaitItem = {
    tenant,
    executionId: parentId,
    nodeId: waitKey,
    ...(waitKey === task.nodeId ? {} : { node: task.nodeId }),
    kind: 'subflow',
    token,
    state: 'waiting',
    since: deps.clock().toISOString(),
  };
  if (await deps.stores.waits.createWait(fresh)) return fresh;
  const known = await deps.stores.waits.getWait(tenant, parentId, waitKey);
  if (!known)
    throw new SubflowFailedError(`the wait of node "${task.nodeId}" vanished while it was registered`);
  // A retried Task waits with a new token: the child's answer goes to the Task that waits now.
  if (known.state === 'waiting' && known.token !== token) {
    await deps.stores.waits.setToken(tenant, parentId, waitKey, token);
  }
  return known;
}

/** A start refusal as the node's error: an unknown flow or version, or an input the child refuses. */
function asNodeError(error: unknown, task: SubflowTask): unknown {
  const what = `flow ${task.config.flowId}${task.config.version === undefined ? '' : ` version ${task.config.version}`}`;
  if (error instanceof NotFoundError) {
    return new SubflowFailedError(`${what} does not exist in this tenant (any more)`, { cause: error });
  }
  if (error instanceof ServiceError) {
    return new SubflowFailedError(`${what} refused to start: ${error.message}`, { cause: error });
  }
  return error;
}

/**
 * Completes the parent's wait with a finished child's answer (once: the conditional update) and
 * answers the parent's task token. Answers what the wait holds now, or undefined while the child
 * runs (or when it was started without waiting).
 */
async function settleChild(deps: SubflowDeps, child: ExecutionItem): Promise<WaitAnswer | undefined> {
  const parent = child.parent;
  if (parent?.waitKey === undefined) return undefined;
  const answer = childAnswer(child);
  if (!answer) return undefined;
  const completed = await deps.stores.waits.completeWait(
    child.tenant,
    parent.executionId,
    parent.waitKey,
    answer,
  );
  if (!completed) {
    const now = await deps.stores.waits.getWait(child.tenant, parent.executionId, parent.waitKey);
    return now?.answer;
  }
  try {
    await deps.taskTokens?.answer(completed.token, answer);
  } catch (error) {
    // The parent's Task no longer waits (stopped, timed out): nobody to tell.
    if (!(error instanceof TaskTokenGoneError)) throw error;
  }
  return answer;
}

/**
 * What happens when an execution's record becomes final (the status write-back in AWS, the local
 * server's finish hook): as a child, it answers its waiting parent; as a parent that did not
 * succeed, it stops the children it still waits for (each stop settles that child in turn).
 */
export async function settleSubflowFamily(deps: SubflowDeps, execution: ExecutionItem): Promise<void> {
  if (!isTerminal(execution.status) && execution.status !== 'INTERRUPTED') return;
  if (execution.parent) await settleChild(deps, execution);
  if (execution.status !== 'SUCCEEDED') await stopChildren(deps, execution.tenant, execution.executionId);
}

/**
 * Stops every child execution `parentId` waits for that still runs (stopping the parent stops
 * them, DESIGN.md §2.1), and records each as ABORTED. Answers the ids it stopped.
 */
export async function stopChildren(deps: SubflowDeps, tenant: string, parentId: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const childId of await deps.stores.waits.children(tenant, parentId)) {
    const child = await deps.stores.executions.get(tenant, childId).catch(() => undefined);
    if (child?.status !== 'RUNNING' || child.executionArn === undefined) continue;
    try {
      await deps.stateMachines.stop(child.executionArn, {
        error: 'ParentStopped',
        cause: `the parent execution ${parentId} ended before this subflow`,
      });
    } catch (error) {
      deps.log.warn('could not stop a subflow child', {
        executionId: parentId,
        child: childId,
        error: String(error),
      });
      continue;
    }
    stopped.push(childId);
  }
  return stopped;
}
