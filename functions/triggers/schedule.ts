import { createScheduleTriggerHandler } from './schedule-trigger-handler.ts';
import { triggerDeps, triggerLogger } from './trigger-deps.ts';

/** Schedule trigger Lambda: the target of every EventBridge Scheduler schedule of the deployment. */
export const handler = createScheduleTriggerHandler(triggerDeps, triggerLogger);
