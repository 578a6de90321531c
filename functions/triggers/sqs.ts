import { parseQueueBindings } from '../../lib/triggers/sqs-trigger.ts';
import { createSqsTriggerHandler } from './sqs-trigger-handler.ts';
import { triggerDeps, triggerLogger } from './trigger-deps.ts';

/**
 * SQS trigger Lambda: messages `{ flowId, input, version?, triggerId?, tenantId? }` of the shared
 * trigger queue, and the bodies of the named queues in `FLOWFORGE_QUEUE_BINDINGS`, start flows.
 */
export const handler = createSqsTriggerHandler(
  triggerDeps,
  triggerLogger,
  parseQueueBindings(process.env.FLOWFORGE_QUEUE_BINDINGS),
);
