import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { ExecutionInfo } from '../actions/action.ts';
import type { WaitAnswer } from '../store/wait-store.ts';

/**
 * The pure part of subflows (DESIGN.md §2.1), shared by the service (lib/service/subflows.ts),
 * the local server and `flowforge run --flow`: the Task payload, the errors a subflow node fails
 * with, the key of its wait and the answer a finished child gives.
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
export class InvalidSubflowTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSubflowTask';
  }
}

/** The child could not start, or ended other than SUCCEEDED (the node's error, DESIGN.md §2.1). */
export class SubflowFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubflowFailed';
  }
}

/** The chain of subflows is deeper than {@link MAX_SUBFLOW_DEPTH}. */
export class SubflowDepthExceededError extends Error {
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

/** The depth the child of a subflow Task runs at; deeper than {@link MAX_SUBFLOW_DEPTH}: {@link SubflowDepthExceededError}. */
export function childDepth(task: Pick<SubflowTask, 'nodeId' | 'config' | 'execution'>): number {
  const depth = (task.execution.depth ?? 0) + 1;
  if (depth > MAX_SUBFLOW_DEPTH) {
    throw new SubflowDepthExceededError(
      `node "${task.nodeId}" would start flow ${task.config.flowId} at subflow depth ${depth}; chains of subflows may be at most ${MAX_SUBFLOW_DEPTH} deep`,
    );
  }
  return depth;
}

/** True for the payload of a subflow node's Task (`operation: "subflow"`). */
export const isSubflowPayload = (payload: unknown): boolean =>
  typeof payload === 'object' &&
  payload !== null &&
  (payload as { operation?: unknown }).operation === 'subflow';

/** Statuses after which a child never changes again for its parent (INTERRUPTED: the local process died). */
const ENDED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED', 'INTERRUPTED']);

/** The answer a finished child gives its parent's node; undefined while it runs. */
export function childAnswer(child: {
  executionId: string;
  status: string;
  output?: unknown;
  error?: { error: string; cause?: string };
}): WaitAnswer | undefined {
  if (child.status === 'SUCCEEDED') return { output: child.output ?? null };
  if (!ENDED.has(child.status)) return undefined;
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
