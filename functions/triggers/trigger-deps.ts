import { SFNClient } from '@aws-sdk/client-sfn';
import { AwsStateMachines } from '../../lib/runtime/aws-state-machines.ts';
import type { Deps, ServiceLogger } from '../../lib/service/deps.ts';
import { createDocumentClient } from '../../lib/store/client.ts';
import { createStores } from '../../lib/store/index.ts';
import { TriggerConfigurationError } from '../../lib/triggers/errors.ts';
import { AwsTaskTokens } from '../../lib/waits/aws-task-tokens.ts';
import { expressLogsFromEnv } from '../shared/express-logs-env.ts';
import { logger } from '../shared/logger.ts';

/** The trigger functions' structured logger (Powertools). */
export const triggerLogger: ServiceLogger = {
  info: (message, extra) => logger.info(message, extra ?? {}),
  warn: (message, extra) => logger.warn(message, extra ?? {}),
  error: (message, extra) => logger.error(message, extra ?? {}),
};

const notHere = (what: string) => () => {
  throw new TriggerConfigurationError(`the trigger functions do not ${what}; that is the API's job`);
};

let deps: Deps | undefined;

/**
 * The dependencies of the Lambdas that only start executions or write their ends back (the two
 * triggers, the subflow function, the status write-back): the stores
 * (`FLOWFORGE_TABLE_NAME`) and the Step Functions adapter (`FLOWFORGE_STATE_MACHINE_PREFIX`).
 * Unlike the API's `awsDeps` they need no scheduler, webhook-secret or action settings (and do
 * not bundle the compiler); they have no rights to compile, deploy or register anything, and
 * those members refuse with a `TriggerConfigurationError`.
 */
export function triggerDeps(): Deps {
  if (deps) return deps;
  const tableName = process.env.FLOWFORGE_TABLE_NAME;
  if (!tableName) throw new TriggerConfigurationError('environment variable FLOWFORGE_TABLE_NAME is not set');
  const sfn = new SFNClient({});
  deps = {
    stores: createStores(createDocumentClient(), tableName),
    stateMachines: new AwsStateMachines({
      client: sfn,
      // Used only to deploy a version that has no machine yet, which these functions may not do.
      roleArn: process.env.FLOWFORGE_STATE_MACHINE_ROLE_ARN ?? '',
      namePrefix: process.env.FLOWFORGE_STATE_MACHINE_PREFIX || 'flowforge',
      ...expressLogsFromEnv(),
    }),
    compile: notHere('compile flows'),
    compileContext: { actionArns: {} },
    triggers: { register: notHere('register triggers'), unregisterAll: notHere('unregister triggers') },
    resolveWebhookSecrets: notHere('verify webhooks'),
    clock: () => new Date(),
    apiBaseUrl: process.env.FLOWFORGE_API_BASE_URL ?? '',
    log: triggerLogger,
    // The status write-back answers a waiting parent's task token when its subflow child ends.
    taskTokens: new AwsTaskTokens(sfn),
  };
  return deps;
}
