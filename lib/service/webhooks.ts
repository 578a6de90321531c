import type { NodeError } from '../runtime/execution-record.ts';
import type { WebhookHeaders } from '../security/webhook-signature.ts';
import { handleWebhook } from '../triggers/webhook-trigger.ts';
import { RESPONSE_HEADERS_REFUSED } from '../workflow/operation-configs.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { getExecution } from './executions.ts';
import { flowLookup } from './flow-lookup.ts';
import { startExecution } from './start-execution.ts';

/** How often a synchronous webhook looks at its run (the record is read from the store/runtime). */
export const SYNC_WEBHOOK_POLL_MS = 150;

/**
 * What a webhook answers (DESIGN.md §2.2):
 * - `accepted`: 202 `{ executionId, status }` — an asynchronous webhook, or a synchronous one whose
 *   run neither responded nor ended within `timeoutSeconds`;
 * - `respond`: the first `respond` node's `{ status, headers, body }`;
 * - `output`: 200 with the run's `output` (it succeeded without a `respond`);
 * - `failed`: 500 problem+json naming the run's error.
 */
export type WebhookAnswer =
  | { kind: 'accepted'; executionId: string; status: string }
  | { kind: 'respond'; executionId: string; status: number; headers: Record<string, string>; body?: unknown }
  | { kind: 'output'; executionId: string; output: unknown }
  | { kind: 'failed'; executionId: string; status: string; error?: NodeError };

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'INTERRUPTED', 'PENDING_REDRIVE']);

/**
 * `POST /hooks/{flowId}/{triggerId}`: the triggers area's webhook use case (signature, replay
 * guard, idempotency from `webhook-id`) bound to this service's stores and its one start path.
 * A trigger with `response: "sync"` then waits for its run (see {@link WebhookAnswer}); a bad
 * signature throws `WebhookAuthError` (401).
 */
export async function receiveWebhook(
  deps: Deps,
  request: { flowId: string; triggerId: string; rawBody: string; headers: WebhookHeaders },
): Promise<WebhookAnswer> {
  const accepted = await handleWebhook(request, {
    triggers: deps.stores.triggers,
    webhookReplay: deps.stores.webhookReplay,
    resolveSecrets: deps.resolveWebhookSecrets,
    getFlow: flowLookup(deps),
    startExecution: (start) => startExecution(deps, start),
    now: deps.clock,
  });
  const started = { kind: 'accepted' as const, executionId: accepted.executionId, status: accepted.status };
  if (!accepted.sync) return started;
  // The webhook acts for the flow's tenant, reading only this one execution.
  const caller: Caller = { tenantId: accepted.tenantId, keyId: 'webhook', scopes: ['executions:read'] };
  const deadline = Date.now() + accepted.sync.timeoutSeconds * 1000;
  for (;;) {
    const view = await getExecution(deps, caller, accepted.executionId);
    for (const id of accepted.sync.respondNodes) {
      const node = view.nodes[id];
      if (node?.status === 'succeeded') return respondAnswer(accepted.executionId, node.output);
    }
    if (view.status === 'SUCCEEDED')
      return { kind: 'output', executionId: view.executionId, output: view.output };
    if (FINAL.has(view.status))
      return {
        kind: 'failed',
        executionId: view.executionId,
        status: view.status,
        ...(view.error ? { error: view.error } : {}),
      };
    const left = deadline - Date.now();
    if (left <= 0) return { ...started, status: view.status };
    await new Promise((resolve) => setTimeout(resolve, Math.min(SYNC_WEBHOOK_POLL_MS, left)));
  }
}

/** A `respond` node's output as the answer; a status that is not a whole 200–599 fails the answer. */
function respondAnswer(executionId: string, output: unknown): WebhookAnswer {
  const answer = (typeof output === 'object' && output !== null ? output : {}) as {
    status?: unknown;
    headers?: unknown;
    body?: unknown;
  };
  const status = answer.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599)
    return {
      kind: 'failed',
      executionId,
      status: 'RUNNING',
      error: {
        error: 'RespondInvalid',
        cause: `respond status ${JSON.stringify(status)} is not a whole number 200–599`,
      },
    };
  const headers: Record<string, string> = {};
  if (typeof answer.headers === 'object' && answer.headers !== null)
    for (const [name, value] of Object.entries(answer.headers))
      if (
        (typeof value === 'string' || typeof value === 'number') &&
        !RESPONSE_HEADERS_REFUSED.has(name.toLowerCase()) &&
        /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/.test(name) &&
        !/[\r\n\0]/.test(String(value))
      )
        headers[name.toLowerCase()] = String(value);
  return {
    kind: 'respond',
    executionId,
    status,
    headers,
    ...(answer.body === undefined ? {} : { body: answer.body }),
  };
}
