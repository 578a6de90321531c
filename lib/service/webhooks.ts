import type { WebhookHeaders } from '../security/webhook-signature.ts';
import { handleWebhook } from '../triggers/webhook-trigger.ts';
import type { Deps } from './deps.ts';
import { flowLookup } from './flow-lookup.ts';
import { startExecution } from './start-execution.ts';

/**
 * `POST /hooks/{flowId}/{triggerId}`: the triggers area's webhook use case (signature, replay
 * guard, idempotency from `webhook-id`) bound to this service's stores and its one start path.
 * Answers `{ executionId, status }` (202); a bad signature throws `WebhookAuthError` (401).
 */
export async function receiveWebhook(
  deps: Deps,
  request: { flowId: string; triggerId: string; rawBody: string; headers: WebhookHeaders },
): Promise<{ executionId: string; status: string }> {
  const accepted = await handleWebhook(request, {
    triggers: deps.stores.triggers,
    webhookReplay: deps.stores.webhookReplay,
    resolveSecrets: deps.resolveWebhookSecrets,
    getFlow: flowLookup(deps),
    startExecution: (start) => startExecution(deps, start),
    now: deps.clock,
  });
  return { executionId: accepted.executionId, status: accepted.status };
}
