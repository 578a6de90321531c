import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { processQueueBatch, type QueueRecord, type QueueTriggerDeps } from './sqs-trigger.ts';

/** The trigger queue of local mode (DESIGN.md §3). */
export const LOCAL_TRIGGER_QUEUE = 'flowforge-triggers';
/** Its dead-letter queue. */
export const LOCAL_TRIGGER_DLQ = 'flowforge-triggers-dlq';
/** Receives before a message moves to the DLQ, as in the deployed queue. */
export const LOCAL_MAX_RECEIVE_COUNT = 3;

const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalSqs {
  /** `http://127.0.0.1:<port>`: point any SQS client (JSON protocol) here. */
  endpoint: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  /** An SDK client configured for this endpoint. */
  client: SQSClient;
  stop(): Promise<void>;
}

export interface StartLocalSqsOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one (tests). */
  port: number;
  /** Seconds a received message stays invisible before redelivery (default 30). */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
}

/**
 * Starts fauxqs 1.x in-process on 127.0.0.1:`port` and creates the trigger queue and its DLQ
 * (redrive after `maxReceiveCount`, default 3). fauxqs 1.x keeps messages in memory only:
 * messages not yet consumed are lost when the process stops (2.x persists, but needs Node 22).
 */
export async function startLocalSqs(options: StartLocalSqsOptions): Promise<LocalSqs> {
  const app = buildApp({ logger: false });
  // fauxqs knows a queue only by the exact URL it minted (http://sqs.<region>.localhost:<port>/…).
  // SQS clients pointed at 127.0.0.1 often write the URL themselves (…/000000000000/flowforge-triggers,
  // …/queue/flowforge-triggers): map any URL whose last segment names one of our queues to its own.
  const ownUrls = new Map<string, string>();
  app.addHook('preHandler', async (request) => {
    const body = request.body as { QueueUrl?: unknown } | null | undefined;
    if (body === null || typeof body !== 'object' || typeof body.QueueUrl !== 'string') return;
    const own = ownUrls.get(body.QueueUrl.replace(/\/+$/, '').split('/').pop() ?? '');
    if (own !== undefined) body.QueueUrl = own;
  });
  const address = await app.listen({ port: options.port, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${new URL(address).port}`;
  const client = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const dlq = await client.send(new CreateQueueCommand({ QueueName: LOCAL_TRIGGER_DLQ }));
    const dlqUrl = required(dlq.QueueUrl, 'DLQ url');
    const dlqAttributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: LOCAL_TRIGGER_QUEUE,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: required(dlqAttributes.Attributes?.QueueArn, 'DLQ arn'),
            maxReceiveCount: options.maxReceiveCount ?? LOCAL_MAX_RECEIVE_COUNT,
          }),
        },
      }),
    );
    const queueUrl = required(queue.QueueUrl, 'queue url');
    ownUrls.set(LOCAL_TRIGGER_QUEUE, queueUrl);
    ownUrls.set(LOCAL_TRIGGER_DLQ, dlqUrl);
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    return {
      endpoint,
      queueUrl,
      queueArn: required(attributes.Attributes?.QueueArn, 'queue arn'),
      dlqUrl,
      client,
      async stop() {
        client.destroy();
        await app.close();
      },
    };
  } catch (error) {
    client.destroy();
    await app.close();
    throw error;
  }
}

export interface LocalSqsPollerOptions {
  client: SQSClient;
  queueUrl: string;
  /** The ARN put into each record's `eventSourceARN` (read from the queue when omitted). */
  queueArn?: string;
  deps: QueueTriggerDeps;
  /** Long-poll wait per receive (default 1 s). */
  waitTimeSeconds?: number;
  /** Messages per receive, 1–10 (default 10, the Lambda event source's usual batch). */
  batchSize?: number;
  /** Told about each record that failed (it stays on the queue for redelivery, then the DLQ). */
  onRecordError?: (record: QueueRecord, error: unknown) => void;
  /** Told about a failed receive or delete; the loop goes on after `errorBackoffMs` (default 1000). */
  onPollError?: (error: unknown) => void;
  errorBackoffMs?: number;
}

export interface PollResult {
  received: number;
  succeeded: string[];
  batchItemFailures: { itemIdentifier: string }[];
}

export interface LocalSqsPoller {
  /** Starts the receive loop (idempotent). */
  start(): void;
  /** Stops the loop, cancelling a pending long poll; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** One receive → process → delete round (what the loop repeats); for tests and tools. */
  pollOnce(signal?: AbortSignal): Promise<PollResult>;
}

/**
 * The local stand-in for the Lambda SQS event source mapping: receives up to 10 messages,
 * builds the same SQS event shape, runs the same batch processing as `functions/triggers/sqs.ts`,
 * deletes the messages that succeeded and leaves the failed ones to come back after the
 * visibility timeout (and reach the DLQ after the redrive policy's receive count).
 */
export function createLocalSqsPoller(options: LocalSqsPollerOptions): LocalSqsPoller {
  const { client, queueUrl } = options;
  let queueArn = options.queueArn;
  let loop: Promise<void> | undefined;
  let abort: AbortController | undefined;

  async function pollOnce(signal?: AbortSignal): Promise<PollResult> {
    if (queueArn === undefined) {
      const attributes = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      );
      queueArn = attributes.Attributes?.QueueArn ?? queueUrl;
    }
    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: options.batchSize ?? 10,
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return { received: 0, succeeded: [], batchItemFailures: [] };
    const records = messages.map((message) => toRecord(message, queueArn ?? queueUrl));
    const response = await processQueueBatch({ Records: records }, options.deps, options.onRecordError);
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const succeeded = records.filter((record) => !failed.has(record.messageId));
    if (succeeded.length > 0) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: succeeded.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: String(record.receiptHandle),
          })),
        }),
      );
    }
    return {
      received: messages.length,
      succeeded: succeeded.map((record) => record.messageId),
      batchItemFailures: response.batchItemFailures,
    };
  }

  async function run(controller: AbortController): Promise<void> {
    while (!controller.signal.aborted) {
      try {
        await pollOnce(controller.signal);
      } catch (error) {
        if (controller.signal.aborted) return;
        options.onPollError?.(error);
        await new Promise((resolve) => setTimeout(resolve, options.errorBackoffMs ?? 1000).unref());
      }
    }
  }

  return {
    start() {
      if (loop) return;
      abort = new AbortController();
      loop = run(abort);
    },
    async stop() {
      abort?.abort();
      await loop;
      loop = undefined;
      abort = undefined;
    },
    pollOnce,
  };
}

/** An SDK message in the shape the Lambda SQS event source delivers. */
function toRecord(
  message: Message,
  queueArn: string,
): QueueRecord & { receiptHandle: string; [key: string]: unknown } {
  const attributes = message.Attributes ?? {};
  return {
    messageId: required(message.MessageId, 'MessageId'),
    receiptHandle: required(message.ReceiptHandle, 'ReceiptHandle'),
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          ...(value.BinaryValue === undefined
            ? {}
            : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] || LOCAL_REGION,
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`local SQS answered without ${what}`);
  return value;
}
