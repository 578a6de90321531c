import { JsonReadError, readJson } from '../security/json-reader.ts';
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhook,
  type WebhookHeaders,
} from '../security/webhook-signature.ts';
import type { TriggerStateStorePort, WebhookReplayGuardPort } from '../store/types.ts';
import { DEFAULT_SYNC_WEBHOOK_SECONDS } from '../workflow/checks/trigger-configs.ts';
import {
  InvalidTriggerEventError,
  TriggerConfigurationError,
  TriggerNotFoundError,
  WebhookAuthError,
} from './errors.ts';
import type { FlowLookup, StartExecutionFn } from './start-execution-port.ts';

/** A webhook request as the HTTP layer received it: the body exactly as sent, never re-serialised. */
export interface WebhookRequest {
  flowId: string;
  triggerId: string;
  rawBody: string | Buffer;
  headers: WebhookHeaders;
}

export interface WebhookTriggerDeps {
  /** Webhook URLs carry no tenant: the registration (found by flowId + triggerId) names it. */
  triggers: Pick<TriggerStateStorePort, 'findWebhook'>;
  webhookReplay: WebhookReplayGuardPort;
  /** The current secrets of a registration's `secretRef` (see `WebhookSecrets.resolve`). */
  resolveSecrets: (secretRef: string) => Promise<string[]>;
  getFlow: FlowLookup;
  startExecution: StartExecutionFn;
  now: () => Date;
  toleranceSeconds?: number;
}

export interface WebhookAccepted {
  tenantId: string;
  executionId: string;
  status: string;
  /** True when this webhook-id had been delivered before: nothing new was started. */
  alreadyStarted: boolean;
  /**
   * Set when the trigger's config says `response: "sync"`: how long the request may wait, and the
   * flow's `respond` nodes whose output answers it.
   */
  sync?: { timeoutSeconds: number; respondNodes: string[] };
}

// GitHub signs no timestamp, so a captured delivery stays valid: remember its id for longer.
const GITHUB_REPLAY_TTL_SECONDS = 7 * 86_400;

/**
 * The webhook trigger: `POST /api/v1/hooks/{flowId}/{triggerId}` → 202 `{ executionId, status }`.
 *
 * 1. Finds the webhook registration and the flow's current version, which must still have a
 *    `webhook` trigger of that id (`TriggerNotFoundError` → 404 otherwise, also when disabled).
 * 2. Verifies the raw body before anything parses it: Standard Webhooks by default, GitHub's
 *    `X-Hub-Signature-256` when the trigger's config says `signature: "github"`. A failure throws
 *    `WebhookAuthError` with `reason` (`missing-headers` | `bad-timestamp` | `stale-timestamp` |
 *    `bad-signature`) → 401 naming it.
 * 3. Remembers the `webhook-id` in the replay guard (twice the timestamp tolerance; 7 days for
 *    GitHub, which signs no timestamp) and starts with idempotency key `webhook:<flowId>:<triggerId>:<webhook-id>`:
 *    a delivery seen before answers the execution it started and starts nothing.
 * 4. The input is the body parsed as JSON; a body that is not JSON becomes `{ "raw": "<body text>" }`
 *    and an empty body `{}`.
 */
export async function handleWebhook(
  request: WebhookRequest,
  deps: WebhookTriggerDeps,
): Promise<WebhookAccepted> {
  const { flowId, triggerId } = request;
  const registration = await deps.triggers.findWebhook(flowId, triggerId);
  if (registration?.type !== 'webhook' || !registration.enabled) {
    throw new TriggerNotFoundError(`flow ${flowId} has no webhook trigger ${triggerId}`);
  }
  const tenantId = registration.tenant;
  const flow = await deps.getFlow(tenantId, flowId);
  const node = flow?.definition.nodes.find(
    (candidate) =>
      candidate.id === triggerId && candidate.type === 'trigger' && candidate.trigger === 'webhook',
  );
  if (!flow || !node) throw new TriggerNotFoundError(`flow ${flowId} has no webhook trigger ${triggerId}`);
  if (!registration.secretRef) {
    throw new TriggerConfigurationError(
      `webhook trigger ${triggerId} of flow ${flowId} has no signing secret`,
    );
  }

  const scheme = node.config.signature === 'github' ? 'github' : 'standard-webhooks';
  const tolerance = deps.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const verified = verifyWebhook({
    rawBody: request.rawBody,
    headers: request.headers,
    secrets: await deps.resolveSecrets(registration.secretRef),
    now: deps.now(),
    toleranceSeconds: tolerance,
    scheme,
  });
  // The reason leads the message, so the 401 problem's `detail` names it.
  if (!verified.ok) throw new WebhookAuthError(verified.reason, `${verified.reason}: ${verified.message}`);

  const firstDelivery = await deps.webhookReplay.remember(
    tenantId,
    `${flowId}/${triggerId}/${verified.webhookId}`,
    scheme === 'github' ? GITHUB_REPLAY_TTL_SECONDS : 2 * tolerance,
  );
  const started = await deps.startExecution({
    tenantId,
    flowId,
    version: flow.version,
    input: webhookInput(request.rawBody),
    trigger: { id: triggerId, type: 'webhook' },
    // Keys are unique per tenant: the flow id keeps two flows' webhooks apart.
    idempotencyKey: `webhook:${flowId}:${triggerId}:${verified.webhookId}`,
  });
  const accepted: WebhookAccepted = {
    tenantId,
    executionId: started.executionId,
    status: started.status,
    alreadyStarted: started.alreadyStarted || !firstDelivery,
  };
  if (node.config.response === 'sync') {
    const timeout = node.config.timeoutSeconds;
    accepted.sync = {
      timeoutSeconds: typeof timeout === 'number' ? timeout : DEFAULT_SYNC_WEBHOOK_SECONDS,
      respondNodes: flow.definition.nodes
        .filter((candidate) => candidate.type === 'operation' && candidate.operation === 'respond')
        .map((candidate) => candidate.id),
    };
  }
  return accepted;
}

/** The run input of a verified body: its JSON value, `{ raw }` for other text, `{}` when empty. */
export function webhookInput(rawBody: string | Buffer): unknown {
  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return readJson(text);
  } catch (error) {
    // JSON that the reader refuses (too deep, 1e309, __proto__) is refused, not passed on as text.
    if (error instanceof JsonReadError)
      throw new InvalidTriggerEventError(`webhook body refused: ${error.message}`, [
        { path: error.path, message: error.message },
      ]);
    return { raw: text };
  }
}
