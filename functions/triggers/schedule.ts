import { triggerDeps, triggerLogger } from './trigger-deps.ts';
import { createScheduleTriggerHandler } from './trigger-handlers.ts';

/** Schedule trigger Lambda: the target of every EventBridge Scheduler schedule of the deployment. */
export const handler = createScheduleTriggerHandler(triggerDeps, triggerLogger);
