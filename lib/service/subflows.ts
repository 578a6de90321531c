import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { ExecutionInfo } from '../actions/action.ts';
import { NotFoundError } from '../store/errors.ts';
import type { ExecutionItem } from '../store/types.ts';
import type { WaitAnswer, WaitItem } from '../store/wait-store.ts';
import { TaskTokenGoneError } from '../waits/task-tokens.ts';
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

/** Chains of subflows end here: a child deeper than this fails the node with `SubflowDepthExceeded`. */
export const MAX_SUBFLOW_DEPTH = 5;

/** The Task payload of a subflow node (lib/compiler/node-states.ts `subflowStates`). */
export interface SubflowTask {
  nodeId: string;
  operation: 'subflow';
  config: { flowId: string; version?: number; input?: unknown; wait: boolean };
  execution: ExecutionInfo;
  attempt: number;
  /** Present for a waiting node (`.waitForTaskToken`). */
  taskToken?: string;
  iteration?: string;
}

const subflowTaskSchema = z.looseObject({
  nodeId: z.string().check(z.minLength(1)),
  operation: z.literal('subflow'),
  config: z.looseObject({
    flowId: z.string().check(z.minLength(1)),
    version: z.optional(z.number()),
    input: z.optional(z.unknown()),
    wait: z._default(z.boolean(), true),
  }),
  execution: z.looseObject({
    id: z.string().check(z.minLength(1)),
    startedAt: z.string(),
    flowId: z.string(),
    version: z.number(),
    tenant: z.optional(z.string()),
    depth: z.optional(z.number()),
  }),
  attempt: z._default(z.number(), 1),
  taskToken: z.optional(z.string().check(z.minLength(1))),
  iteration: z.optional(z.string()),
});

/** The Task payload is not what the compiler gives a subflow node. */
export class InvalidSubflowTaskError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSubflowTask';
  }
}

/** The child could not start, or ended other than SUCCEEDED (the node's error, DESIGN.md §2.1). */
export class SubflowFailedError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubflowFailed';
  }
}

/** The chain of subflows is deeper than {@link MAX_SUBFLOW_DEPTH}. */
export class SubflowDepthExceededError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = 'SubflowDepthExceeded';
  }
}

export function parseSubflowTask(payload: unknown): SubflowTask {
  const parsed = subflowTaskSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidSubflowTaskError(
      `subflow Task payload: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  return parsed.data as SubflowTask;
}

/**
 * The key of a subflow node's wait within its run: the node id for the first attempt of a
 * top-level node; with an iteration or a later attempt, the node id and a digest of both (each
 * item and each attempt waits for a child of its own).
 */
export function subflowWaitKey(task: Pick<SubflowTask, 'nodeId' | 'iteration' | 'attempt'>): string {
  if (task.iteration === undefined && task.attempt <= 1) return task.nodeId;
  const digest = createHash('sha256')
    .update(`${task.iteration ?? ''}\u0000${task.attempt}`)
    .digest('hex')
    .slice(0, 24);
  return `${task.nodeId.slice(0, 64)}-${digest}`;
}

const tenantOf = (task: SubflowTask): string => task.execution.tenant ?? 'default';

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
  const depth = (task.execution.depth ?? 0) + 1;
  if (depth > MAX_SUBFLOW_DEPTH) {
    throw new SubflowDepthExceededError(
      `node "${task.nodeId}" would start flow ${task.config.flowId} at subflow depth ${depth}; chains of subflows may be at most ${MAX_SUBFLOW_DEPTH} deep`,
    );
  }
  const waitKey = subflowWaitKey(task);
  const parentId = task.execution.id;
  const wait = task.config.wait && token !== undefined;
  if (wait) {
    const registered = await registerWait(deps, tenant, parentId, waitKey, task, token);
    if (registered.state === 'completed' && registered.answer && registered.child) {
      return { executionId: registered.child, answer: registered.answer };
    }
  }
  let started: { executionId: string };
  try {
    started = await startExecution(deps as Deps, {
      tenantId: tenant,
      flowId: task.config.flowId,
      ...(task.config.version === undefined ? {} : { version: task.config.version }),
      input: task.config.input ?? {},
      trigger: { id: null, type: 'subflow' },
      idempotencyKey: `${parentId}:${waitKey}`,
      parent: { executionId: parentId, nodeId: task.nodeId, ...(wait ? { waitKey } : {}), depth },
    });
  } catch (error) {
    throw asNodeError(error, task);
  }
  const { executionId } = started;
  deps.log.info('subflow started', { executionId: parentId, nodeId: task.nodeId, child: executionId });
  if (!wait) return { executionId };
  await deps.stores.waits.putChild(tenant, parentId, executionId, Date.now() + YEAR_MS);
  const child = await deps.stores.executions.get(tenant, executionId);
  const answer = await settleChild(deps, child);
  return answer ? { executionId, answer } : { executionId };
}

const YEAR_MS = 366 * 86_400_000;

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

/** The answer a finished child gives its parent's node; undefined while it runs. */
export function childAnswer(child: ExecutionItem): WaitAnswer | undefined {
  if (child.status === 'SUCCEEDED') return { output: child.output ?? null };
  if (!isTerminal(child.status) && child.status !== 'INTERRUPTED') return undefined;
  return {
    error: 'SubflowFailed',
    cause: JSON.stringify({
      executionId: child.executionId,
      status: child.status,
      error: child.error?.error ?? child.status,
      ...(child.error?.cause === undefined ? {} : { cause: child.error.cause }),
    }),
  };
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
