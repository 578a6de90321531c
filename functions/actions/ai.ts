import { aiAction } from '../../lib/actions/ai/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/**
 * Lambda of the `ai` action: Bedrock Converse on the deployment's models, or an OpenAI-compatible
 * endpoint through the http action's SSRF guard. A model call has no side effect to dedupe, so no
 * idempotency store.
 */
export const handler = createActionHandler(aiAction);
