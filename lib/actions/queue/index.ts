import {
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type ActionDefinition, ActionError } from '../action.ts';
import { awsClientConfig } from '../aws-client-config.ts';
import { checkQueueTarget, type QueueTargetPolicy, queueTargetPolicyFromEnv } from './queue-target.ts';
import { type QueueConfig, type QueueOutput, queueConfigSchema } from './schema.ts';

export type { QueueTargetPolicy } from './queue-target.ts';
export { QueueNotAllowedError } from './queue-target.ts';
export type { QueueConfig, QueueOutput } from './schema.ts';

/** The named queue does not exist (or is not visible to this Lambda). Not retryable. */
export class QueueNotFoundError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueNotFound';
  }
}

/** SQS refused the message as invalid (size, attributes, FIFO ids). Not retryable. */
export class QueueMessageRejectedError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueMessageRejected';
  }
}

/** SendMessage failed for a reason that may pass (throttling, SQS unavailable, network). Retryable. */
export class QueueSendFailedError extends ActionError {
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueSendFailed';
  }
}

const MAX_MESSAGE_BYTES = 256 * 1024;
const NOT_FOUND = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExistException',
]);
const REJECTED = new Set([
  'InvalidMessageContents',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'MissingParameter',
  'UnsupportedOperation',
  'InvalidAttributeValue',
  'InvalidAttributeName',
  'ValidationException',
]);

/** What the queue action depends on. */
export interface QueueActionDeps {
  /**
   * Default: an SQS client on `FLOWFORGE_SQS_ENDPOINT` when set (fauxqs locally), else the Lambda's
   * region. A client given here must be built with `useQueueUrlAsEndpoint: false` (see `sqsClientConfig`).
   */
  client?: SQSClient;
  /** Which queues may be addressed (default: `queueTargetPolicyFromEnv()`). */
  policy?: QueueTargetPolicy;
}

/**
 * SQS client settings of the action: the endpoint is the configured one (or the region's), never the
 * host of a queue URL — a flow's URL must not aim signed requests (with the Lambda's session token) at
 * a host of its choice.
 */
export const sqsClientConfig = (endpoint: string | undefined) => ({
  ...awsClientConfig(endpoint),
  useQueueUrlAsEndpoint: false,
});

/**
 * Builds the `queue` action (DESIGN.md §2): SQS SendMessage to a queue URL, or to a queue name
 * looked up once per warm Lambda with GetQueueUrl. Output `{ messageId }`.
 */
export function createQueueAction(deps: QueueActionDeps = {}): ActionDefinition<QueueConfig, QueueOutput> {
  let client = deps.client;
  const policy = deps.policy ?? queueTargetPolicyFromEnv();
  const urls = new Map<string, Promise<string>>();
  const queueUrl = (sqs: SQSClient, queue: string): Promise<string> => {
    const target = checkQueueTarget(queue, policy);
    if (target.url !== undefined) return Promise.resolve(target.url);
    let url = urls.get(queue);
    if (!url) {
      url = sqs.send(new GetQueueUrlCommand({ QueueName: target.name })).then((out) => {
        if (!out.QueueUrl) throw new QueueNotFoundError(`queue "${queue}" has no URL`);
        // The URL SQS answers is checked as well (it must name the same kind of queue).
        return checkQueueTarget(out.QueueUrl, policy).url ?? out.QueueUrl;
      });
      // A failed lookup is not cached.
      url.catch(() => urls.delete(queue));
      urls.set(queue, url);
    }
    return url;
  };

  return {
    kind: 'queue',
    configSchema: queueConfigSchema,
    async run(config) {
      client ??= new SQSClient(sqsClientConfig(process.env.FLOWFORGE_SQS_ENDPOINT));
      const body = typeof config.body === 'string' ? config.body : JSON.stringify(config.body);
      const bytes = Buffer.byteLength(body);
      if (bytes > MAX_MESSAGE_BYTES)
        throw new QueueMessageRejectedError(
          `message body is ${bytes} bytes, over SQS's ${MAX_MESSAGE_BYTES}`,
        );
      // Refused before any request: a queue the flow may not address never sees a call.
      let url: string;
      try {
        url = await queueUrl(client, config.queue);
      } catch (error) {
        throw translate(error, config.queue);
      }
      try {
        const out = await client.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: body,
            ...(config.messageAttributes ? { MessageAttributes: attributes(config.messageAttributes) } : {}),
            ...(config.groupId ? { MessageGroupId: config.groupId } : {}),
            ...(config.dedupId ? { MessageDeduplicationId: config.dedupId } : {}),
            ...(config.delaySeconds !== undefined ? { DelaySeconds: config.delaySeconds } : {}),
          }),
        );
        if (!out.MessageId) throw new QueueSendFailedError(`SQS returned no MessageId for ${config.queue}`);
        return { messageId: out.MessageId };
      } catch (error) {
        throw translate(error, config.queue);
      }
    },
  };
}

function attributes(
  input: NonNullable<QueueConfig['messageAttributes']>,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value === 'string') out[name] = { DataType: 'String', StringValue: value };
    else if (typeof value === 'number') out[name] = { DataType: 'Number', StringValue: String(value) };
    else out[name] = { DataType: value.dataType, StringValue: value.value };
  }
  return out;
}

function translate(error: unknown, queue: string): unknown {
  if (error instanceof ActionError) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const detail = `${name}: ${error instanceof Error ? error.message : String(error)}`;
  if (NOT_FOUND.has(name))
    return new QueueNotFoundError(`queue "${queue}" does not exist`, { cause: detail });
  if (REJECTED.has(name))
    return new QueueMessageRejectedError(`SQS refused the message for ${queue} (${detail})`, {
      cause: detail,
    });
  return new QueueSendFailedError(`could not send to ${queue} (${detail})`, { cause: detail });
}

/** The `queue` action with its client from the environment. */
export const queueAction: ActionDefinition<QueueConfig, QueueOutput> = createQueueAction();
