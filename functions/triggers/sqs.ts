import { awsDeps, awsLogger } from '../shared/aws-deps.ts';
import { createSqsTriggerHandler } from './trigger-handlers.ts';

/** SQS trigger Lambda: the shared trigger queue's messages `{ flowId, input, version?, triggerId?, tenantId? }` start flows. */
export const handler = createSqsTriggerHandler(awsDeps, awsLogger);
