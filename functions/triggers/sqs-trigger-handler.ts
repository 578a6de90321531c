import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Deps, ServiceLogger } from '../../lib/service/deps.ts';
import { flowLookup } from '../../lib/service/flow-lookup.ts';
import { startExecution } from '../../lib/service/start-execution.ts';
import { processQueueBatch, type QueueBinding } from '../../lib/triggers/sqs-trigger.ts';

const errorFacts = (error: unknown) =>
  error instanceof Error
    ? { error: error.name, message: error.message, ...('issues' in error ? { issues: error.issues } : {}) }
    : { error: String(error) };
type GetDeps = () => Deps | Promise<Deps>;

/**
 * The SQS trigger Lambda (event source mapping with `ReportBatchItemFailures`): each record goes
 * through `processQueueRecord` in Powertools' `BatchProcessor`; the answer names exactly the
 * records that failed, which SQS redelivers and, after the queue's receive count, dead-letters.
 * `queueBindings`: the named extra queues of the deployment (`FLOWFORGE_QUEUE_BINDINGS`).
 */
export const createSqsTriggerHandler =
  (getDeps: GetDeps, log: ServiceLogger, queueBindings: Readonly<Record<string, QueueBinding>> = {}) =>
  async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const deps = await getDeps();
    return processQueueBatch(
      event,
      {
        getFlow: flowLookup(deps),
        startExecution: (request) => startExecution(deps, request),
        queueBindings,
      },
      (record, error) =>
        log.warn('trigger message refused', { messageId: record.messageId, ...errorFacts(error) }),
    );
  };
