import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { awsDeps, awsLogger } from '../shared/aws-deps.ts';
import { logger } from '../shared/logger.ts';
import { createApiHandler } from './api-handler.ts';

/**
 * The one Lambda behind every API Gateway route (payload 2.0). The routes that need a key are
 * authorized by `authorizer.ts`; this handler checks each route's scope against its context.
 * Logs carry the Lambda context and API Gateway's request id.
 */
export const handler = createApiHandler(awsDeps, awsLogger, [
  injectLambdaContext(logger, { resetKeys: true }),
]);
