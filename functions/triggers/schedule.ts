import { awsDeps, awsLogger } from '../shared/aws-deps.ts';
import { createScheduleTriggerHandler } from './trigger-handlers.ts';

/** Schedule trigger Lambda: the target of every EventBridge Scheduler schedule of the deployment. */
export const handler = createScheduleTriggerHandler(awsDeps, awsLogger);
