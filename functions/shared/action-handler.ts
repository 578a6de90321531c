import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ActionDefinition, ActionMetrics } from '../../lib/actions/action.ts';
import type { IdempotencyStore } from '../../lib/actions/idempotency.ts';
import { parseTaskPayload, runAction } from '../../lib/actions/run-action.ts';
import type { PayloadStore } from '../../lib/payloads/payload-store.ts';
import { payloadStoreFromEnv } from '../../lib/payloads/payload-store-from-env.ts';
import { createAwsSecretSource } from '../../lib/security/secrets.ts';
import { tenantSecretLayout } from '../../lib/security/tenant-secrets.ts';
import { logger, metrics, tracer } from './powertools.ts';

// Leaves the action this long to report a timeout itself before Lambda kills it.
const DEADLINE_MARGIN_MS = 500;

/**
 * The Lambda handler of one action kind (`export const handler = createActionHandler(httpAction)`):
 * parses the Task payload (bad → `InvalidConfig`), appends `flowId`, `executionId`, `nodeId`,
 * `attempt` to every log line, records `ActionDuration` (ms) and `ActionFailures` with dimension
 * `action`, traces with X-Ray, runs the action through {@link runAction} (config parse, output size
 * limit, and with `options.idempotency` — actions with side effects pass `idempotencyStoreFromEnv()` —
 * at most once per `execution.id + nodeId + attempt`; pure actions leave it out and their bundles
 * carry no DynamoDB client; with the payload store — `options.payloads`, by default
 * `payloadStoreFromEnv()`, the bucket `FLOWFORGE_PAYLOAD_BUCKET` — references in the config are
 * resolved and large outputs offloaded) and rethrows errors as they are, so Step Functions sees their stable `name` as the error type.
 */
export function createActionHandler(
  // biome-ignore lint/suspicious/noExplicitAny: any action's config type
  action: ActionDefinition<any, unknown>,
  options: { idempotency?: IdempotencyStore; payloads?: PayloadStore } = {},
) {
  const { idempotency } = options;
  const payloads = 'payloads' in options ? options.payloads : payloadStoreFromEnv();
  metrics.setDefaultDimensions({ action: action.kind });
  // `{{ secret:… }}` of any config reads the run's tenant's SSM path (FLOWFORGE_TENANT_SECRETS_STAGE, bound with its IAM grant).
  const stage = process.env.FLOWFORGE_TENANT_SECRETS_STAGE;
  const secrets = stage ? createAwsSecretSource(tenantSecretLayout(stage)) : undefined;

  // Metrics with their own dimensions (e.g. tokens per flow) are flushed one by one.
  const actionMetrics: ActionMetrics = {
    count(name, value, dimensions = {}) {
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
      single.addMetric(name, MetricUnit.Count, value);
    },
  };

  const run = async (event: unknown, context: Context): Promise<unknown> => {
    const started = performance.now();
    try {
      const task = parseTaskPayload(event);
      logger.appendKeys({
        flowId: task.execution.flowId,
        executionId: task.execution.id,
        nodeId: task.nodeId,
        attempt: task.attempt,
        action: action.kind,
      });
      tracer.putAnnotation('action', action.kind);
      tracer.putAnnotation('executionId', task.execution.id);
      tracer.putAnnotation('nodeId', task.nodeId);
      const remaining = () => context.getRemainingTimeInMillis?.() ?? 900_000;
      return await runAction(action, task, {
        idempotency,
        payloads,
        logger,
        metrics: actionMetrics,
        ...(secrets ? { secrets } : {}),
        signal: AbortSignal.timeout(Math.max(1, remaining() - DEADLINE_MARGIN_MS)),
        remainingTimeMs: remaining,
      });
    } catch (error) {
      metrics.addMetric('ActionFailures', MetricUnit.Count, 1);
      logger.error('action failed', {
        errorName: error instanceof Error ? error.name : 'Error',
        errorMessage: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      metrics.addMetric('ActionDuration', MetricUnit.Milliseconds, performance.now() - started);
    }
  };

  return middy(run)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
