import { createHash } from 'node:crypto';
import type { WaitAnswer } from '../store/wait-store.ts';
import type { TaskTokens } from '../waits/task-tokens.ts';
import * as waits from '../waits/waits.ts';
import { recordAudit } from './audit.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { TooManyRequestsError } from './errors.ts';

/** The unauthenticated callback route's bucket per source address (the id is a bearer secret: guessing is throttled). */
export const CALLBACK_RATE_LIMIT = { capacity: 60, refillPerSecond: 30 };

/** A callback id as FlowForge makes them: 32 random bytes, base64url (43 characters). */
const CALLBACK_ID = /^[A-Za-z0-9_-]{43}$/;

function answering(deps: Deps): waits.WaitAnswerDeps {
  const tokens: TaskTokens | undefined = deps.taskTokens;
  if (!tokens) throw new Error('this deployment has no task-token port (Deps.taskTokens)');
  return { store: deps.stores.waits, tokens, clock: deps.clock };
}

/**
 * `POST /callbacks/{callbackId}` (no key): rate-limited per source address, then completes or fails
 * the waiting node. Unknown, malformed and expired ids all answer the same 404; a used one 409.
 */
export async function answerCallback(
  deps: Deps,
  request: { callbackId: string; answer: WaitAnswer; sourceIp: string },
): Promise<waits.CallbackAccepted> {
  const bucket = `cb-${createHash('sha256').update(request.sourceIp).digest('hex').slice(0, 40)}`;
  const token = await deps.stores.rateLimiter.takeToken(bucket, CALLBACK_RATE_LIMIT);
  if (!token.allowed) throw new TooManyRequestsError('too many callback attempts', token.retryAfterSeconds);
  if (!CALLBACK_ID.test(request.callbackId)) throw new waits.CallbackNotFoundError();
  return waits.answerCallback(answering(deps), request.callbackId, request.answer);
}

/** `POST /executions/{executionId}/nodes/{nodeId}/callback` (scope executions:start, the execution's tenant). */
export async function answerNodeCallback(
  deps: Deps,
  caller: Caller,
  executionId: string,
  nodeId: string,
  answer: WaitAnswer,
): Promise<waits.CallbackAccepted> {
  await deps.stores.executions.get(caller.tenantId, executionId);
  const accepted = await waits.answerNodeCallback(
    answering(deps),
    caller.tenantId,
    executionId,
    nodeId,
    answer,
  );
  await recordAudit(deps, caller, 'execution.callback', `execution/${executionId}`, {
    nodeId,
    outcome: 'error' in answer ? 'error' : 'output',
  });
  return accepted;
}

/** `POST /events` (scope events:send): completes every node of the caller's tenant waiting for it. */
export function sendEvent(
  deps: Deps,
  caller: Caller,
  event: { name: string; key: string; payload?: unknown },
): Promise<waits.EventAccepted> {
  return waits.sendEvent(answering(deps), caller.tenantId, event);
}
