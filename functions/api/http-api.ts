import { awsDeps, awsLogger } from '../shared/aws-deps.ts';
import { createApiHandler } from './api-handler.ts';

/**
 * The one Lambda behind every API Gateway route (payload 2.0). The routes that need a key are
 * authorized by `authorizer.ts`; this handler checks each route's scope against its context.
 */
export const handler = createApiHandler(awsDeps, awsLogger);
