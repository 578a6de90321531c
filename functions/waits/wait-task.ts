import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AwsTaskTokens } from '../../lib/waits/aws-task-tokens.ts';
import { handleWaitTask } from '../../lib/waits/aws-wait-task.ts';
import { lambdaNotify } from '../../lib/waits/lambda-notify.ts';
import { awsStores, env } from '../shared/aws-stores.ts';
import { logger } from '../shared/logger.ts';

/**
 * The wait Lambda (`<prefix>-action-waits`): the `.waitForTaskToken` Task of every waitForCallback
 * and waitForEvent node invokes it with the task token. Environment: `FLOWFORGE_TABLE_NAME`,
 * `FLOWFORGE_ACTION_ARNS` (the notify actions' functions), `FLOWFORGE_API_BASE_URL` (callback URLs).
 * The callback id never reaches a log line: only the node and the execution are logged.
 */
let deps: Parameters<typeof handleWaitTask>[0] | undefined;

export const handler = async (event: unknown): Promise<{ waiting: boolean }> => {
  deps ??= {
    store: awsStores().waits,
    tokens: new AwsTaskTokens(new SFNClient({})),
    clock: () => new Date(),
    runNotify: lambdaNotify(
      new LambdaClient({}),
      JSON.parse(env('FLOWFORGE_ACTION_ARNS')) as Record<string, string>,
    ),
    apiBaseUrl: env('FLOWFORGE_API_BASE_URL')
      .replace(/\/api\/v1\/?$/, '')
      .replace(/\/$/, ''),
  };
  const task = event as { nodeId?: unknown; execution?: { id?: unknown } };
  logger.info('wait begins', { nodeId: task.nodeId, executionId: task.execution?.id });
  return handleWaitTask(deps, event);
};
