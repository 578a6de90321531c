import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import type { ExecutionInfo, TaskPayload } from '../actions/action.ts';
import type { StoredEvent, WaitAnswer, WaitItem, WaitStorePort } from '../store/wait-store.ts';
import { CALLBACK_TEMPLATE } from '../workflow/template.ts';
import { InvalidWaitTaskError, TaskTokenGoneError, type TaskTokens, WaitsError } from './task-tokens.ts';

/**
 * The use cases of waitForCallback and waitForEvent (DESIGN.md §2.1), over the wait store and the
 * task-token port; the AWS wait Lambda, the local runner and the API all call these.
 *
 * - A wait is one item per (tenant, execution, node) whose `state` goes `waiting` → `completed` or
 *   `timedOut` by conditional update: however many callbacks, events and timeouts race, one wins.
 * - Callback ids carry 256 random bits; only their SHA-256 is stored, and it is compared in
 *   constant time. A callback is single use (the conditional update) and dies with its wait.
 * - Events are kept (for at least the longest lookback) before the waiters are read, and a wait
 *   is registered before the events are read: an event and a wait that race always meet.
 */

/** How long events are kept: the longest lookback, and a minute for clocks and retries. */
export const EVENT_RETENTION_SECONDS = 86_400 + 60;
/** An event this close before a wait began always counts (even with lookbackSeconds 0): the race window. */
const RACE_WINDOW_MS = 1000;
const YEAR_MS = 366 * 86_400_000;

/** The error a wait ends with when its timeoutSeconds is up (as Step Functions' Task timeout). */
export const WAIT_TIMEOUT: WaitAnswer = {
  error: 'States.Timeout',
  cause: 'The wait ran longer than its timeoutSeconds',
};

/** What the answering use cases need. */
export interface WaitAnswerDeps {
  store: WaitStorePort;
  tokens: TaskTokens;
  clock: () => Date;
}

/** What beginning a wait needs besides: the `notify` runner and the API's public base URL. */
export interface WaitBeginDeps extends WaitAnswerDeps {
  /** Runs `notify` through the ordinary action path (invokeAction, `phase: "notify"`). */
  runNotify(payload: TaskPayload & { phase: 'notify' }): Promise<unknown>;
  /** `https://…` (no trailing slash, without `/api/v1`) — callback URLs start here. */
  apiBaseUrl: string;
}

/** The payload of a wait Task (lib/compiler/node-states.ts `waitStates`). */
export interface WaitTask {
  nodeId: string;
  operation: 'waitForCallback' | 'waitForEvent';
  config: {
    timeoutSeconds?: number;
    notify?: { action: string; config: Record<string, unknown> };
    event?: string;
    match?: unknown;
    lookbackSeconds?: number;
  };
  execution: ExecutionInfo;
  attempt: number;
  taskToken: string;
  /** Inside a forEach body: which item of which forEach (`each[3]`); each iteration waits on its own. */
  iteration?: string;
}

const waitTaskSchema = z.looseObject({
  nodeId: z.string().check(z.minLength(1)),
  operation: z.enum(['waitForCallback', 'waitForEvent']),
  config: z.looseObject({
    timeoutSeconds: z.optional(z.number()),
    notify: z.optional(z.object({ action: z.string(), config: z.record(z.string(), z.unknown()) })),
    event: z.optional(z.string()),
    match: z.optional(z.unknown()),
    lookbackSeconds: z.optional(z.number()),
  }),
  execution: z.looseObject({
    id: z.string().check(z.minLength(1)),
    startedAt: z.string(),
    flowId: z.string(),
    version: z.number(),
    tenant: z.optional(z.string()),
  }),
  attempt: z._default(z.number(), 1),
  taskToken: z.string().check(z.minLength(1)),
  iteration: z.optional(z.string()),
});

/** Parses a wait Task's payload ({@link InvalidWaitTaskError} naming the first problem). */
export function parseWaitTask(payload: unknown): WaitTask {
  const parsed = waitTaskSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidWaitTaskError(
      `wait Task payload: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  return parsed.data as WaitTask;
}

/** The tenant of a wait or subflow Task (the service's start path puts it into `execution`; one-machine runs use `default`). */
export const tenantOf = (task: { execution: { tenant?: string } }): string =>
  task.execution.tenant ?? 'default';

/** A wait's key within its execution: the node id, or inside a forEach body the node id and a digest of the iteration. */
export const waitKeyOf = (task: WaitTask): string =>
  task.iteration === undefined
    ? task.nodeId
    : `${task.nodeId.slice(0, 64)}-${createHash('sha256').update(task.iteration).digest('hex').slice(0, 24)}`;

/** The key a waitForEvent waits for: `match` resolved, as text. */
function matchKey(task: WaitTask): string {
  const match = task.config.match;
  if (typeof match === 'string') return match;
  if (typeof match === 'number' || typeof match === 'boolean') return String(match);
  throw new InvalidWaitTaskError(
    `node "${task.nodeId}": match must resolve to a string, number or boolean, not ${match === null ? 'null' : typeof match}`,
  );
}

/** The digest under which a callback id is stored and found. */
export const callbackHash = (callbackId: string): string =>
  createHash('sha256').update(callbackId).digest('hex');

/** The output of a node completed by an event (DESIGN.md §2.1). */
const eventOutput = (event: StoredEvent): WaitAnswer => ({
  output: {
    eventId: event.eventId,
    name: event.name,
    key: event.key,
    payload: event.payload ?? null,
    receivedAt: event.receivedAt,
  },
});

/** Where a wait stands after {@link beginWait}: already answered, or waiting until `deadline` (epoch ms). */
export interface BegunWait {
  tenant: string;
  executionId: string;
  nodeId: string;
  answer?: WaitAnswer;
  deadline?: number;
}

/**
 * Registers a node's wait (or finds it again: a retried Lambda, a resumed local run) and answers
 * at once if it is already over: completed, timed out, or — for an event wait — an event of that
 * name and key arrived within the lookback. A callback wait gets a new callback id unless `notify`
 * already ran for the current one; then `notify` runs with `{{ callback.url }}` and `{{ callback.id }}`
 * filled in. A failing `notify` rejects (the node fails with its error).
 */
export async function beginWait(deps: WaitBeginDeps, task: WaitTask): Promise<BegunWait> {
  const tenant = tenantOf(task);
  const executionId = task.execution.id;
  const nodeId = waitKeyOf(task);
  const where = { tenant, executionId, nodeId };
  const now = deps.clock().getTime();
  let wait = await deps.store.getWait(tenant, executionId, nodeId);
  if (!wait) {
    const timeout = task.config.timeoutSeconds;
    const fresh: WaitItem = {
      ...where,
      ...(nodeId === task.nodeId ? {} : { node: task.nodeId }),
      kind: task.operation === 'waitForCallback' ? 'callback' : 'event',
      token: task.taskToken,
      state: 'waiting',
      since: new Date(now).toISOString(),
      ...(typeof timeout === 'number' ? { deadline: now + timeout * 1000 } : {}),
      ...(task.operation === 'waitForEvent'
        ? { event: { name: task.config.event ?? '', key: matchKey(task) } }
        : {}),
    };
    wait = (await deps.store.createWait(fresh))
      ? fresh
      : await deps.store.getWait(tenant, executionId, nodeId);
    if (!wait) throw new WaitsError(`the wait of node "${nodeId}" vanished while it was registered`);
  } else if (wait.token !== task.taskToken && wait.state === 'waiting') {
    // A retried Task carries a new token; answers go to the Task that waits now.
    await deps.store.setCallback(tenant, executionId, nodeId, {
      callbackHash: wait.callbackHash ?? '',
      notified: wait.notified ?? false,
      token: task.taskToken,
    });
    wait = { ...wait, token: task.taskToken };
  }
  const over = settled(wait);
  if (over) return { ...where, answer: over };
  if (wait.deadline !== undefined && wait.deadline <= now) {
    return { ...where, answer: await expireWait(deps, tenant, executionId, nodeId) };
  }
  const begun: BegunWait = { ...where, ...(wait.deadline === undefined ? {} : { deadline: wait.deadline }) };
  if (wait.kind === 'callback') {
    if (!wait.notified) await notifyWithNewCallback(deps, task, wait);
    return begun;
  }
  const { name, key } = wait.event ?? { name: '', key: '' };
  await deps.store.putEventWaiter(tenant, name, key, { executionId, nodeId }, wait.deadline ?? now + YEAR_MS);
  const lookback = Math.max((task.config.lookbackSeconds ?? 300) * 1000, RACE_WINDOW_MS);
  const since = new Date(Date.parse(wait.since) - lookback).toISOString();
  const [early] = await deps.store.eventsSince(tenant, name, key, since);
  if (early) {
    const answer = eventOutput(early);
    const completed = await deps.store.completeWait(tenant, executionId, nodeId, answer);
    if (completed) return { ...where, answer };
    const now2 = await deps.store.getWait(tenant, executionId, nodeId);
    const other = now2 && settled(now2);
    if (other) return { ...where, answer: other };
  }
  return begun;
}

async function notifyWithNewCallback(deps: WaitBeginDeps, task: WaitTask, wait: WaitItem): Promise<void> {
  const { tenant, executionId, nodeId } = wait;
  const callbackId = randomBytes(32).toString('base64url');
  const hash = callbackHash(callbackId);
  await deps.store.putCallback(
    { tenant, executionId, nodeId, callbackHash: hash, ...(wait.node ? { node: wait.node } : {}) },
    wait.deadline ?? Date.parse(wait.since) + YEAR_MS,
  );
  await deps.store.setCallback(tenant, executionId, nodeId, {
    callbackHash: hash,
    notified: false,
    token: wait.token,
  });
  const notify = task.config.notify;
  if (notify) {
    const url = `${deps.apiBaseUrl}/api/v1/callbacks/${callbackId}`;
    const config = fillCallback(notify.config, { url, id: callbackId }) as Record<string, unknown>;
    await deps.runNotify({
      nodeId: task.nodeId,
      action: notify.action,
      config,
      execution: task.execution,
      attempt: task.attempt,
      phase: 'notify',
      ...(task.iteration === undefined ? {} : { iteration: task.iteration }),
    });
  }
  await deps.store.setCallback(tenant, executionId, nodeId, {
    callbackHash: hash,
    notified: true,
    token: wait.token,
  });
}

/** Replaces `{{ callback.url }}` / `{{ callback.id }}` in every string of a config. */
function fillCallback(value: unknown, callback: { url: string; id: string }): unknown {
  if (typeof value === 'string') {
    return value.includes('{{')
      ? value.replace(CALLBACK_TEMPLATE, (_, field: 'url' | 'id') => callback[field])
      : value;
  }
  if (Array.isArray(value)) return value.map((item) => fillCallback(item, callback));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillCallback(v, callback)]));
  }
  return value;
}

/** The answer of a wait that is over, or undefined while it waits. */
function settled(wait: WaitItem): WaitAnswer | undefined {
  if (wait.state === 'completed' && wait.answer) return wait.answer;
  if (wait.state === 'timedOut') return WAIT_TIMEOUT;
  return undefined;
}

/** Ends a wait whose time is up: `States.Timeout`, unless an answer won the race (then that answer). */
export async function expireWait(
  deps: WaitAnswerDeps,
  tenant: string,
  executionId: string,
  nodeId: string,
): Promise<WaitAnswer> {
  if (await deps.store.timeOutWait(tenant, executionId, nodeId)) return WAIT_TIMEOUT;
  const wait = await deps.store.getWait(tenant, executionId, nodeId);
  return (wait && settled(wait)) ?? WAIT_TIMEOUT;
}

/** Gives a completed wait's answer to its Task; false when the Task no longer waits (it timed out). */
async function deliver(deps: WaitAnswerDeps, wait: WaitItem, answer: WaitAnswer): Promise<boolean> {
  try {
    await deps.tokens.answer(wait.token, answer);
    return true;
  } catch (error) {
    if (error instanceof TaskTokenGoneError) return false;
    throw error;
  }
}

/** A callback id that is unknown or expired (404). */
export class CallbackNotFoundError extends WaitsError {
  constructor(message = 'no such callback (unknown or expired)') {
    super(message);
    this.name = 'CallbackNotFound';
  }
}

/** A callback that was already used (409). */
export class CallbackUsedError extends WaitsError {
  constructor(message = 'this callback was already used') {
    super(message);
    this.name = 'CallbackUsed';
  }
}

/** Where a callback answer went (202 body). */
export interface CallbackAccepted {
  executionId: string;
  nodeId: string;
}

/**
 * `POST /callbacks/{callbackId}`: completes the waiting node the id opens with `answer`. Unknown,
 * expired or timed-out ids → {@link CallbackNotFoundError}; a second use →
 * {@link CallbackUsedError}. Nothing else about the id is revealed.
 */
export async function answerCallback(
  deps: WaitAnswerDeps,
  callbackId: string,
  answer: WaitAnswer,
): Promise<CallbackAccepted> {
  const hash = callbackHash(callbackId);
  const pointer = await deps.store.getCallback(hash);
  if (!pointer || !sameDigest(pointer.callbackHash, hash)) throw new CallbackNotFoundError();
  const { tenant, executionId, nodeId } = pointer;
  // Every callback issued for a wait opens it (a resumed wait may have issued a second one while an
  // idempotent notify kept the first e-mail): whichever is used first wins, the wait stays single use.
  const completed = await deps.store.completeWait(tenant, executionId, nodeId, answer);
  if (!completed) {
    const wait = await deps.store.getWait(tenant, executionId, nodeId);
    if (wait?.state === 'completed') throw new CallbackUsedError();
    throw new CallbackNotFoundError();
  }
  if (!(await deliver(deps, completed, answer))) throw new CallbackNotFoundError();
  return { executionId, nodeId: pointer.node ?? nodeId };
}

/**
 * `POST /executions/{executionId}/nodes/{nodeId}/callback`: the same for a keyed caller of the
 * execution's tenant. A node that does not wait for a callback (in this tenant) → not found; one
 * already answered → used.
 */
export async function answerNodeCallback(
  deps: WaitAnswerDeps,
  tenant: string,
  executionId: string,
  nodeId: string,
  answer: WaitAnswer,
): Promise<CallbackAccepted> {
  const wait = await deps.store.getWait(tenant, executionId, nodeId);
  if (wait?.kind !== 'callback') {
    throw new CallbackNotFoundError(
      `node "${nodeId}" of execution ${executionId} does not wait for a callback`,
    );
  }
  const completed = await deps.store.completeWait(tenant, executionId, nodeId, answer);
  if (!completed) {
    const now = await deps.store.getWait(tenant, executionId, nodeId);
    if (now?.state === 'completed') throw new CallbackUsedError(`node "${nodeId}" was already answered`);
    throw new CallbackNotFoundError(`node "${nodeId}" of execution ${executionId} no longer waits`);
  }
  if (!(await deliver(deps, completed, answer))) {
    throw new CallbackNotFoundError(`node "${nodeId}" of execution ${executionId} no longer waits`);
  }
  return { executionId, nodeId };
}

/** What `POST /events` answers (202). */
export interface EventAccepted {
  eventId: string;
  matched: number;
}

/**
 * `POST /events`: keeps the event (for later waits within their lookback), then completes every
 * node of the tenant waiting for that name and key — each at most once (conditional update) —
 * and answers how many it completed.
 */
export async function sendEvent(
  deps: WaitAnswerDeps,
  tenant: string,
  event: { name: string; key: string; payload?: unknown },
): Promise<EventAccepted> {
  const stored: StoredEvent = {
    eventId: randomUUID(),
    name: event.name,
    key: event.key,
    ...(event.payload === undefined ? {} : { payload: event.payload }),
    receivedAt: deps.clock().toISOString(),
  };
  await deps.store.putEvent(tenant, stored, EVENT_RETENTION_SECONDS);
  const answer = eventOutput(stored);
  let matched = 0;
  for (const waiter of await deps.store.eventWaiters(tenant, event.name, event.key)) {
    const completed = await deps.store.completeWait(tenant, waiter.executionId, waiter.nodeId, answer);
    if (completed && (await deliver(deps, completed, answer))) matched++;
  }
  return { eventId: stored.eventId, matched };
}

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
