import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import * as z from 'zod';
import { JsonReadError, readJson } from '../security/json-reader.ts';
import { nodeIdSchema } from '../workflow/definition-schema.ts';
import { checkInputSchema } from './check-input-schema.ts';
import { InvalidTriggerEventError, TriggerNotFoundError, TriggerRegistrationError } from './errors.ts';
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

/**
 * A named extra queue bound to one flow at deploy time: its messages are the input itself
 * (JSON, or `{ "raw": "<body>" }` when the body is not JSON), not the shared queue's envelope.
 */
export const queueBindingSchema = z.object({
  tenantId: z.string().min(1).max(128).default(DEFAULT_TENANT),
  flowId: z.string().min(1).max(128),
  version: z.number().int().positive().optional(),
  triggerId: nodeIdSchema.optional(),
});
export type QueueBinding = z.infer<typeof queueBindingSchema>;

/**
 * Parses the deploy-time bindings `{ "<queue name>": { flowId, tenantId?, version?, triggerId? } }`
 * (the SQS trigger Lambda reads them from `FLOWFORGE_QUEUE_BINDINGS`). Empty when absent;
 * throws a `TriggerRegistrationError` naming the problem when malformed.
 */
export function parseQueueBindings(json: string | undefined): Record<string, QueueBinding> {
  if (json === undefined || json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new TriggerRegistrationError('queue bindings are not valid JSON', { cause: error });
  }
  const parsed = z.record(z.string().min(1).max(80), queueBindingSchema).safeParse(value);
  if (!parsed.success) {
    throw new TriggerRegistrationError(
      `queue bindings are malformed: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  return parsed.data;
}

export interface QueueTriggerDeps {
  getFlow: FlowLookup;
  startExecution: StartExecutionFn;
  /** Named extra queues (by queue name, taken from the record's `eventSourceARN`) bound to a flow. */
  queueBindings?: Readonly<Record<string, QueueBinding>>;
}

/** The queue name of an SQS ARN (`arn:aws:sqs:region:account:name`). */
function queueNameOf(arn: string | undefined): string | undefined {
  return arn?.split(':')[5];
}

const refusedBody = (record: QueueRecord, error: JsonReadError) =>
  new InvalidTriggerEventError(`message ${record.messageId}: ${error.message}`, [
    { path: error.path, message: error.message },
  ]);

/** The envelope of a shared-queue message, or the bound flow + the whole body as input. */
function messageOf(record: QueueRecord, binding: QueueBinding | undefined): QueueMessage {
  if (binding) {
    let input: unknown;
    try {
      input = record.body.trim() === '' ? {} : readJson(record.body);
    } catch (error) {
      if (error instanceof JsonReadError) throw refusedBody(record, error);
      input = { raw: record.body };
    }
    return { ...binding, input };
  }
  let json: unknown;
  try {
    json = readJson(record.body);
  } catch (error) {
    if (error instanceof JsonReadError) throw refusedBody(record, error);
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
  return parsed.data;
}

/**
 * Starts the flow a queue message names. Throws (so that this record alone fails and is
 * redelivered, then dead-lettered) on malformed JSON, a body outside the message contract
 * (`InvalidTriggerEventError`), an unknown flow, version or trigger (`TriggerNotFoundError`),
 * input the flow's `inputSchema` refuses (`InvalidTriggerEventError`), or any error of the
 * start itself. The idempotency key is `sqs:<messageId>`, so a redelivered message is one execution.
 * A record from a queue in `deps.queueBindings` starts the bound flow with the body as input.
 * The trigger id is the message's `triggerId`, else the binding's, else the flow's queue trigger
 * whose `config.queue` names this queue, else its first queue trigger, else `null`.
 */
export async function processQueueRecord(
  record: QueueRecord,
  deps: QueueTriggerDeps,
): Promise<StartExecutionResult> {
  const queueName = queueNameOf(record.eventSourceARN);
  const binding = queueName === undefined ? undefined : deps.queueBindings?.[queueName];
  const message = messageOf(record, binding);
  const flow = await deps.getFlow(message.tenantId, message.flowId, message.version);
  if (!flow) {
    const version = message.version === undefined ? '' : ` version ${message.version}`;
    throw new TriggerNotFoundError(`message ${record.messageId}: flow ${message.flowId}${version} not found`);
  }
  const queueTriggers = flow.definition.nodes.filter(
    (node) => node.type === 'trigger' && node.trigger === 'queue',
  );
  // On a named queue, prefer the queue trigger that names it.
  const named =
    queueName === undefined ? undefined : queueTriggers.find((node) => node.config.queue === queueName);
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
    trigger: { id: message.triggerId ?? named?.id ?? queueTriggers[0]?.id ?? null, type: 'queue' },
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
