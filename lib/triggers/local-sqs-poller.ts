import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { type JournaledMessage, LocalSqsJournal } from './local-sqs-journal.ts';
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
  /** The id a trigger-queue message was first sent with (it differs for a message sent again after a restart). */
  originOf(messageId: string): string;
  stop(): Promise<void>;
}

export interface StartLocalSqsOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one (tests). */
  port: number;
  /** Seconds a received message stays invisible before redelivery (default 30). */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  /**
   * A folder for the journals of the trigger queue and its DLQ (`npm start`: `<dataDir>/sqs`, files
   * `trigger-queue.jsonl` and `trigger-dlq.jsonl`): their unconsumed and delayed messages survive a
   * kill of the process (see local-sqs-journal.ts). Absent: in memory only.
   */
  journalDir?: string;
}

/** One queue whose messages are journaled, and the receipt handles it gave out (a delete names the handle). */
interface JournaledQueue {
  name: string;
  journal: LocalSqsJournal;
  /** Receipt handle → message id. */
  handles: Map<string, string>;
}

/**
 * Starts fauxqs 1.x in-process on 127.0.0.1:`port` and creates the trigger queue and its DLQ
 * (redrive after `maxReceiveCount`, default 3). fauxqs 1.x keeps messages in memory only (2.x
 * persists, but needs Node 22): with `journalDir`, the sends and deletes of both queues are journaled,
 * and so is each move from the trigger queue to the DLQ (fauxqs makes it inside a receive: the
 * receive's answer waits until the DLQ has been looked at). At the next start every message sent and
 * not deleted is sent again to its queue under its first id (lib/triggers/local-sqs-journal.ts).
 * JSON-protocol requests only (the SDKs, AWS CLI v2).
 */
export async function startLocalSqs(options: StartLocalSqsOptions): Promise<LocalSqs> {
  const app = buildApp({ logger: false });
  // fauxqs knows a queue only by the exact URL it minted (http://sqs.<region>.localhost:<port>/…).
  // SQS clients pointed at 127.0.0.1 often write the URL themselves (…/000000000000/flowforge-triggers,
  // …/queue/flowforge-triggers): map any URL whose last segment names one of our queues to its own.
  const ownUrls = new Map<string, string>();
  const journalFile = (file: string) => (options.journalDir ? join(options.journalDir, file) : undefined);
  const triggerFile = journalFile('trigger-queue.jsonl');
  const dlqFile = journalFile('trigger-dlq.jsonl');
  const trigger: JournaledQueue | undefined = triggerFile
    ? { name: LOCAL_TRIGGER_QUEUE, journal: new LocalSqsJournal(triggerFile), handles: new Map() }
    : undefined;
  const dlq: JournaledQueue | undefined = dlqFile
    ? { name: LOCAL_TRIGGER_DLQ, journal: new LocalSqsJournal(dlqFile), handles: new Map() }
    : undefined;
  // Queue URL → its journal, filled once both queues exist and their journals are restored.
  const journaled = new Map<string, JournaledQueue>();

  /** Journals the messages fauxqs moved from the trigger queue to the DLQ since it was last looked at. */
  async function journalMoves(): Promise<void> {
    if (!trigger || !dlq) return;
    const inspected = await app.inject({ method: 'GET', url: `/_fauxqs/queues/${LOCAL_TRIGGER_DLQ}` });
    const { messages } = inspected.json() as { messages: InspectedMessages };
    const inDlq = [
      ...messages.ready,
      ...messages.delayed,
      ...messages.inflight.map((entry) => entry.message),
    ];
    for (const message of inDlq) {
      if (dlq.journal.holds(message.messageId)) continue;
      const origin = trigger.journal.originOf(message.messageId);
      // The DLQ's line first: a kill between the two lines repeats the message, never loses it.
      dlq.journal.sent({
        id: message.messageId,
        ...(origin === message.messageId ? {} : { origin }),
        body: message.body,
        ...(Object.keys(message.messageAttributes ?? {}).length > 0
          ? { attributes: message.messageAttributes }
          : {}),
        at: Date.now(),
      });
      if (trigger.journal.holds(message.messageId)) trigger.journal.deleted(message.messageId);
    }
  }

  app.addHook('preHandler', async (request) => {
    const body = request.body as JournaledRequest | null | undefined;
    if (body === null || typeof body !== 'object' || typeof body.QueueUrl !== 'string') return;
    const own = ownUrls.get(body.QueueUrl.replace(/\/+$/, '').split('/').pop() ?? '');
    const url = own ?? body.QueueUrl;
    body.QueueUrl = url;
    const queue = journaled.get(url);
    if (!queue) return;
    const target = String(request.headers['x-amz-target'] ?? '');
    const deleted =
      target === 'AmazonSQS.DeleteMessage'
        ? [body.ReceiptHandle]
        : target === 'AmazonSQS.DeleteMessageBatch'
          ? (body.Entries ?? []).map((entry) => entry.ReceiptHandle)
          : [];
    for (const handle of deleted) {
      const id = typeof handle === 'string' ? queue.handles.get(handle) : undefined;
      if (id === undefined) continue;
      queue.journal.deleted(id);
      queue.handles.delete(handle as string);
    }
  });
  // Before the answer leaves: an acknowledged send is in the journal, and so is a move to the DLQ.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const body = request.body as JournaledRequest | null | undefined;
    const queue = body && typeof body.QueueUrl === 'string' ? journaled.get(body.QueueUrl) : undefined;
    if (!body || !queue) return payload;
    const target = String(request.headers['x-amz-target'] ?? '');
    journalAnswer(queue.journal, queue.handles, target, body, payload);
    if (queue === trigger && target === 'AmazonSQS.ReceiveMessage') await journalMoves();
    return payload;
  });
  const address = await app.listen({ port: options.port, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${new URL(address).port}`;
  const client = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const dlqQueue = await client.send(new CreateQueueCommand({ QueueName: LOCAL_TRIGGER_DLQ }));
    const dlqUrl = required(dlqQueue.QueueUrl, 'DLQ url');
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
    if (trigger && dlq) {
      await restore(dlq.journal, client, dlqUrl);
      await restore(trigger.journal, client, queueUrl);
      journaled.set(dlqUrl, dlq);
      journaled.set(queueUrl, trigger);
    }
    return {
      endpoint,
      queueUrl,
      queueArn: required(attributes.Attributes?.QueueArn, 'queue arn'),
      dlqUrl,
      client,
      originOf: (messageId) => trigger?.journal.originOf(messageId) ?? messageId,
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

/** What fauxqs's documented inspection endpoint (`GET /_fauxqs/queues/<name>`) answers of a queue's messages. */
interface InspectedMessage {
  messageId: string;
  body: string;
  messageAttributes?: Record<string, unknown>;
}
interface InspectedMessages {
  ready: InspectedMessage[];
  delayed: InspectedMessage[];
  inflight: Array<{ message: InspectedMessage }>;
}

export interface LocalSqsPollerOptions {
  client: SQSClient;
  queueUrl: string;
  /** The ARN put into each record's `eventSourceARN` (read from the queue when omitted). */
  queueArn?: string;
  deps: QueueTriggerDeps;
  /** The id a message was first sent with (`LocalSqs.originOf`): the start's idempotency key. Default: its id. */
  originOf?: (messageId: string) => string;
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
    const records = messages.map((message) => toRecord(message, queueArn ?? queueUrl, options.originOf));
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
  originOf: (messageId: string) => string = (id) => id,
): QueueRecord & { receiptHandle: string; [key: string]: unknown } {
  const attributes = message.Attributes ?? {};
  return {
    // A message sent again after a restart keeps its first id: its run is started (or found) once.
    messageId: originOf(required(message.MessageId, 'MessageId')),
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

/** The fields of the SQS JSON-protocol requests the journal reads. */
interface JournaledRequest {
  QueueUrl?: unknown;
  MessageBody?: unknown;
  DelaySeconds?: unknown;
  MessageAttributes?: unknown;
  ReceiptHandle?: unknown;
  Entries?: Array<{
    Id?: unknown;
    MessageBody?: unknown;
    DelaySeconds?: unknown;
    MessageAttributes?: unknown;
    ReceiptHandle?: unknown;
  }>;
}

/** Journals the messages a send answered with, and remembers the handles a receive gave out. */
function journalAnswer(
  journal: LocalSqsJournal,
  handles: Map<string, string>,
  target: string,
  body: JournaledRequest,
  payload: string,
): void {
  const answer = JSON.parse(payload) as {
    MessageId?: string;
    Successful?: Array<{ Id: string; MessageId: string }>;
    Messages?: Array<{ MessageId?: string; ReceiptHandle?: string }>;
  };
  const at = Date.now();
  const entry = (
    id: string,
    message: { MessageBody?: unknown; DelaySeconds?: unknown; MessageAttributes?: unknown },
  ) =>
    journal.sent({
      id,
      body: String(message.MessageBody ?? ''),
      ...(message.MessageAttributes === undefined ? {} : { attributes: message.MessageAttributes }),
      ...(typeof message.DelaySeconds === 'number' ? { delaySeconds: message.DelaySeconds } : {}),
      at,
    });
  if (target === 'AmazonSQS.SendMessage' && answer.MessageId) entry(answer.MessageId, body);
  if (target === 'AmazonSQS.SendMessageBatch') {
    for (const done of answer.Successful ?? []) {
      const sent = (body.Entries ?? []).find((candidate) => candidate.Id === done.Id);
      if (sent) entry(done.MessageId, sent);
    }
  }
  if (target === 'AmazonSQS.ReceiveMessage') {
    for (const message of answer.Messages ?? []) {
      if (message.MessageId && message.ReceiptHandle) handles.set(message.ReceiptHandle, message.MessageId);
    }
  }
}

/**
 * Sends again every journaled message that was never deleted, with what is left of its delay, and
 * starts a fresh journal with them under their new ids (each remembering its first id).
 */
async function restore(journal: LocalSqsJournal, client: SQSClient, queueUrl: string): Promise<void> {
  const now = Date.now();
  const again: JournaledMessage[] = [];
  for (const message of journal.pending()) {
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        DelaySeconds: LocalSqsJournal.remainingDelay(message, now),
        ...(message.attributes === undefined
          ? {}
          : { MessageAttributes: message.attributes as SendMessageCommandInput['MessageAttributes'] }),
      }),
    );
    again.push({
      ...message,
      id: required(sent.MessageId, 'MessageId'),
      origin: message.origin ?? message.id,
    });
  }
  journal.reset(again);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`local SQS answered without ${what}`);
  return value;
}
