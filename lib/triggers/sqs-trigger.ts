import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { z } from 'zod';
import { nodeIdSchema } from '../workflow/definition-schema.ts';
import { checkInputSchema } from './check-input-schema.ts';
import { InvalidTriggerEventError, TriggerNotFoundError } from './errors.ts';
import type { FlowLookup, StartExecutionFn, StartExecutionResult } from './start-execution-port.ts';

/** The tenant of a shared-queue message that names none. */
export const DEFAULT_TENANT = 'default';

/**
 * A message on the shared trigger queue (DESIGN.md §3: `{ "flowId", "input" }`), optionally
 * pinning a `version`, naming the queue `triggerId` and, on a multi-tenant deployment, the
 * `tenantId` (default `default`). Unknown fields are ignored.
 */
export const queueMessageSchema = z.object({
  tenantId: z.string().min(1).max(128).default(DEFAULT_TENANT),
  flowId: z.string().min(1).max(128),
  version: z.number().int().positive().optional(),
  triggerId: nodeIdSchema.optional(),
  input: z.unknown().optional(),
});
export type QueueMessage = z.infer<typeof queueMessageSchema>;

/** The part of an SQS record (Lambda event shape) that trigger processing reads. */
export interface QueueRecord {
  messageId: string;
  body: string;
  eventSourceARN?: string;
}

export interface QueueTriggerDeps {
  getFlow: FlowLookup;
  startExecution: StartExecutionFn;
}

/**
 * Starts the flow a queue message names. Throws (so that this record alone fails and is
 * redelivered, then dead-lettered) on malformed JSON, a body outside the message contract
 * (`InvalidTriggerEventError`), an unknown flow, version or trigger (`TriggerNotFoundError`),
 * input the flow's `inputSchema` refuses (`InvalidTriggerEventError`), or any error of the
 * start itself. The idempotency key is `sqs:<messageId>`, so a redelivered message is one execution.
 */
export async function processQueueRecord(
  record: QueueRecord,
  deps: QueueTriggerDeps,
): Promise<StartExecutionResult> {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch (error) {
    throw new InvalidTriggerEventError(`message ${record.messageId}: body is not valid JSON`, [], {
      cause: error,
    });
  }
  const parsed = queueMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.map((part) => `/${String(part)}`).join(''),
      message: issue.message,
    }));
    throw new InvalidTriggerEventError(`message ${record.messageId}: not a trigger message`, issues);
  }
  const message = parsed.data;
  const flow = await deps.getFlow(message.tenantId, message.flowId, message.version);
  if (!flow) {
    const version = message.version === undefined ? '' : ` version ${message.version}`;
    throw new TriggerNotFoundError(`message ${record.messageId}: flow ${message.flowId}${version} not found`);
  }
  const queueTriggers = flow.definition.nodes.filter(
    (node) => node.type === 'trigger' && node.trigger === 'queue',
  );
  if (message.triggerId !== undefined && !queueTriggers.some((node) => node.id === message.triggerId)) {
    throw new TriggerNotFoundError(
      `message ${record.messageId}: flow ${message.flowId} has no queue trigger ${message.triggerId}`,
    );
  }
  const input = message.input ?? {};
  if (flow.definition.inputSchema) {
    const issues = checkInputSchema(flow.definition.inputSchema, input);
    if (issues.length > 0) {
      throw new InvalidTriggerEventError(
        `message ${record.messageId}: input does not match the input schema of flow ${message.flowId}`,
        issues,
      );
    }
  }
  return deps.startExecution({
    tenantId: message.tenantId,
    flowId: flow.flowId,
    // Pin the version the input was checked against, so a concurrent update cannot slip in between.
    version: flow.version,
    input,
    trigger: { id: message.triggerId ?? queueTriggers[0]?.id ?? null, type: 'queue' },
    idempotencyKey: `sqs:${record.messageId}`,
  });
}

/**
 * Processes a batch of SQS records through Powertools' `BatchProcessor` (records in parallel)
 * and returns the SQS partial batch response: `batchItemFailures` names exactly the records
 * that threw. Never throws for a failed record, not even when all of them failed (the response
 * then names every one, which SQS treats like a failed batch). Used by the Lambda and the local poller.
 */
export async function processQueueBatch<R extends QueueRecord>(
  event: { Records: R[] },
  deps: QueueTriggerDeps,
  onRecordError?: (record: R, error: unknown) => void,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: R) => {
    try {
      return await processQueueRecord(record, deps);
    } catch (error) {
      onRecordError?.(record, error);
      throw error;
    }
  };
  return processPartialResponse(event, handleRecord, processor, { throwOnFullBatchFailure: false });
}
