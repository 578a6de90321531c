import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { compile } from '../../lib/compiler/compile.ts';
import { payloadStoreFromEnv } from '../../lib/payloads/payload-store-from-env.ts';
import { AwsStateMachines } from '../../lib/runtime/aws-state-machines.ts';
import { createSsmTenantSecrets } from '../../lib/security/ssm-tenant-secrets.ts';
import { tenantSecretLayout } from '../../lib/security/tenant-secrets.ts';
import type { Deps } from '../../lib/service/deps.ts';
import { createTriggerRegistrar } from '../../lib/service/trigger-registrar.ts';
import { createAwsSchedules } from '../../lib/triggers/aws-schedules.ts';
import { createAwsWebhookSecrets } from '../../lib/triggers/webhook-secrets.ts';
import { AwsTaskTokens } from '../../lib/waits/aws-task-tokens.ts';
import { awsLogger, awsStores, ConfigurationError, env } from './aws-stores.ts';
import { expressLogsFromEnv } from './express-logs-env.ts';

export { awsLogger, awsStores, ConfigurationError } from './aws-stores.ts';

/**
 * The dependencies of the Lambda functions, built once per container from the environment:
 * - `FLOWFORGE_TABLE_NAME`: the DynamoDB table
 * - `FLOWFORGE_STATE_MACHINE_ROLE_ARN`, `FLOWFORGE_STATE_MACHINE_PREFIX` (default `flowforge`),
 *   `FLOWFORGE_STATE_MACHINE_LOG_GROUP_ARN` (optional: execution logs of every flow machine),
 *   `FLOWFORGE_EXPRESS_LOG_GROUP_ARN` (the Express machines' log group: their only record)
 * - `FLOWFORGE_ACTION_ARNS`: JSON object action kind → Lambda ARN
 * - `FLOWFORGE_WAIT_FUNCTION_ARN`: the wait Lambda (waitForCallback / waitForEvent Tasks; optional)
 * - `FLOWFORGE_SUBFLOW_FUNCTION_ARN`: the subflow Lambda (subflow Tasks; optional)
 * - `FLOWFORGE_SCHEDULE_GROUP`, `FLOWFORGE_SCHEDULER_ROLE_ARN`, `FLOWFORGE_SCHEDULER_DLQ_ARN`,
 *   `FLOWFORGE_SCHEDULE_TARGET_ARN` (the schedule trigger Lambda)
 * - `FLOWFORGE_API_BASE_URL`: public URL of the HTTP API (webhook URLs)
 * - `FLOWFORGE_TRIGGER_QUEUE_URL`: the shared trigger queue (informational)
 * - `FLOWFORGE_WEBHOOK_SECRET_PREFIX`: SSM path of generated webhook secrets (default `/flowforge/webhooks`)
 * - `FLOWFORGE_PAYLOAD_BUCKET`: the payload bucket (large node outputs shown by `GET /executions/{id}`;
 *   named in the compile context, so a top-level forEach compiles to a Distributed Map over it)
 * - `FLOWFORGE_TENANT_SECRETS_STAGE` (default `FLOWFORGE_STAGE`): tenant secrets are the SecureStrings
 *   `/flowforge/<stage>/tenants/<tenant>/secrets/<name>`
 * Missing required variables fail the first invocation with a configuration error (a 500 that
 * says nothing to the caller; the log names the variable).
 */

const actionArns = (): Record<string, string> => {
  const text = env('FLOWFORGE_ACTION_ARNS');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError('FLOWFORGE_ACTION_ARNS is not JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError('FLOWFORGE_ACTION_ARNS must be a JSON object of action kind → Lambda ARN');
  }
  return Object.fromEntries(Object.entries(parsed).map(([kind, arn]) => [kind, String(arn)]));
};

let deps: Deps | undefined;

/** Every dependency of the use cases, built on first use and reused by later invocations. */
export function awsDeps(): Deps {
  if (deps) return deps;
  const ssm = new SSMClient({});
  const secretsStage = process.env.FLOWFORGE_TENANT_SECRETS_STAGE || env('FLOWFORGE_STAGE');
  // In AWS tenant secrets live in SSM, never in the table.
  const storeSet = {
    ...awsStores(),
    secrets: createSsmTenantSecrets({ ssm, layout: tenantSecretLayout(secretsStage) }),
  };
  const webhookSecrets = createAwsWebhookSecrets({
    ssm,
    parameterPrefix: process.env.FLOWFORGE_WEBHOOK_SECRET_PREFIX || '/flowforge/webhooks',
  });
  const deadLetterArn = process.env.FLOWFORGE_SCHEDULER_DLQ_ARN;
  const logGroupArn = process.env.FLOWFORGE_STATE_MACHINE_LOG_GROUP_ARN;
  const schedules = createAwsSchedules({
    client: new SchedulerClient({}),
    groupName: env('FLOWFORGE_SCHEDULE_GROUP'),
    targetArn: env('FLOWFORGE_SCHEDULE_TARGET_ARN'),
    roleArn: env('FLOWFORGE_SCHEDULER_ROLE_ARN'),
    ...(deadLetterArn ? { deadLetterArn } : {}),
  });
  const sfn = new SFNClient({});
  const waitArn = process.env.FLOWFORGE_WAIT_FUNCTION_ARN;
  const subflowArn = process.env.FLOWFORGE_SUBFLOW_FUNCTION_ARN;
  deps = {
    stores: storeSet,
    stateMachines: new AwsStateMachines({
      client: sfn,
      roleArn: env('FLOWFORGE_STATE_MACHINE_ROLE_ARN'),
      namePrefix: process.env.FLOWFORGE_STATE_MACHINE_PREFIX || 'flowforge',
      ...(logGroupArn ? { logging: { logGroupArn } } : {}),
      ...expressLogsFromEnv(),
    }),
    compile,
    compileContext: {
      actionArns: actionArns(),
      ...(waitArn ? { waitArn } : {}),
      ...(subflowArn ? { subflowArn } : {}),
      // A top-level forEach then compiles to a Distributed Map over this bucket (the machines' role may use it).
      ...(process.env.FLOWFORGE_PAYLOAD_BUCKET
        ? { payloadBucket: process.env.FLOWFORGE_PAYLOAD_BUCKET }
        : {}),
    },
    triggers: createTriggerRegistrar({ triggerState: storeSet.triggers, schedules, secrets: webhookSecrets }),
    resolveWebhookSecrets: (secretRef) => webhookSecrets.resolve(secretRef),
    clock: () => new Date(),
    apiBaseUrl: env('FLOWFORGE_API_BASE_URL'),
    log: awsLogger,
    taskTokens: new AwsTaskTokens(sfn),
  };
  const payloads = payloadStoreFromEnv();
  if (payloads) deps.payloads = payloads;
  return deps;
}
