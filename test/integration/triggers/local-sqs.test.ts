import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalSqsPoller,
  type LocalSqs,
  type PollResult,
  startLocalSqs,
} from '../../../lib/triggers/local-sqs-poller.ts';
import { fakeFlows, fakeStartExecution, orderFlow } from '../../unit/triggers/fakes.ts';

describe('SQS trigger against fauxqs', () => {
  let sqs: LocalSqs;

  beforeAll(async () => {
    sqs = await startLocalSqs({ port: 0, visibilityTimeoutSeconds: 1 });
  });
  afterAll(async () => {
    await sqs.stop();
  });

  async function drain(
    poller: ReturnType<typeof createLocalSqsPoller>,
    expected: number,
  ): Promise<PollResult> {
    const total: PollResult = { received: 0, succeeded: [], batchItemFailures: [] };
    for (let round = 0; round < 10 && total.received < expected; round++) {
      const result = await poller.pollOnce();
      total.received += result.received;
      total.succeeded.push(...result.succeeded);
      total.batchItemFailures.push(...result.batchItemFailures);
    }
    return total;
  }

  it('accepts the trigger queue under the URLs clients write by hand for 127.0.0.1', async () => {
    const port = new URL(sqs.endpoint).port;
    for (const QueueUrl of [
      `http://127.0.0.1:${port}/000000000000/flowforge-triggers`,
      `http://localhost:${port}/queue/flowforge-triggers`,
    ]) {
      const sent = await sqs.client.send(
        new SendMessageCommand({ QueueUrl, MessageBody: '{"flowId":"x","input":{}}' }),
      );
      expect(sent.MessageId).toBeTruthy();
    }
    const attributes = await sqs.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: sqs.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBeGreaterThanOrEqual(2);
    await sqs.client.send(new PurgeQueueCommand({ QueueUrl: sqs.queueUrl }));
  });

  it('listens on 127.0.0.1 and creates the trigger queue with a DLQ redrive policy', async () => {
    expect(sqs.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sqs.queueUrl).toMatch(/\/flowforge-triggers$/);
    const attributes = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      deadLetterTargetArn: expect.stringContaining('flowforge-triggers-dlq'),
      maxReceiveCount: 3,
    });
  });

  it('a batch of 10 with 3 bad messages starts 7 executions and fails exactly the 3', async () => {
    const fake = fakeStartExecution();
    const getFlow = fakeFlows([{ flowId: 'orders', definition: orderFlow }]);
    const bodies = Array.from({ length: 10 }, (_, index) =>
      JSON.stringify({ flowId: 'orders', input: { orderId: `o-${index}` } }),
    );
    bodies[2] = JSON.stringify({ flowId: 'unknown-flow', input: { orderId: 'x' } });
    bodies[5] = '{"flowId": "orders", "input": ';
    bodies[8] = JSON.stringify({ flowId: 'orders', input: { amount: 3 } });
    const sent = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl,
        Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    const idOf = (entry: string) => sent.Successful?.find((ok) => ok.Id === entry)?.MessageId;
    const poller = createLocalSqsPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      deps: { getFlow, startExecution: fake.startExecution },
    });

    const result = await drain(poller, 10);

    expect(result.received).toBe(10);
    expect(fake.calls).toHaveLength(7);
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      [idOf('2'), idOf('5'), idOf('8')].sort(),
    );
    expect(new Set(fake.calls.map((call) => call.idempotencyKey)).size).toBe(7);
    expect(fake.calls.every((call) => call.trigger.type === 'queue' && call.trigger.id === 'fromQueue')).toBe(
      true,
    );
    // Succeeded messages were deleted; the failed ones stay (in flight) for redelivery.
    const attributes = await sqs.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: sqs.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const left =
      Number(attributes.Attributes?.ApproximateNumberOfMessages) +
      Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible);
    expect(left).toBe(3);
  });

  it('the same message delivered twice is one execution', async () => {
    const fake = fakeStartExecution();
    const getFlow = fakeFlows([{ flowId: 'orders', definition: orderFlow }]);
    // A failing sibling keeps nothing back: the message itself fails once after starting
    // (its delete is "lost"), so SQS redelivers it.
    let failOnce = true;
    const startExecution: typeof fake.startExecution = async (request) => {
      const result = await fake.startExecution(request);
      if (failOnce) {
        failOnce = false;
        throw new Error('crashed after starting');
      }
      return result;
    };
    // Visibility timeout 0: a failed message is visible again at once, so the test needs no sleep.
    const queue = await startLocalSqs({ port: 0, visibilityTimeoutSeconds: 0 });
    try {
      const sent = await queue.client.send(
        new SendMessageCommand({
          QueueUrl: queue.queueUrl,
          MessageBody: JSON.stringify({ flowId: 'orders', input: { orderId: 'o' } }),
        }),
      );
      const poller = createLocalSqsPoller({
        client: queue.client,
        queueUrl: queue.queueUrl,
        deps: { getFlow, startExecution },
      });
      const first = await poller.pollOnce();
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: sent.MessageId }]);
      const second = await poller.pollOnce();
      expect(second.succeeded).toEqual([sent.MessageId]);
      expect(fake.calls.map((call) => call.idempotencyKey)).toEqual([
        `sqs:${sent.MessageId}`,
        `sqs:${sent.MessageId}`,
      ]);
      expect(fake.started).toHaveLength(1);
    } finally {
      await queue.stop();
    }
  });

  it('a message that keeps failing moves to the DLQ after 3 receives', async () => {
    const fake = fakeStartExecution();
    const queue = await startLocalSqs({ port: 0, visibilityTimeoutSeconds: 0 });
    try {
      await queue.client.send(
        new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: '{"flowId": 1}' }),
      );
      const poller = createLocalSqsPoller({
        client: queue.client,
        queueUrl: queue.queueUrl,
        waitTimeSeconds: 0,
        deps: { getFlow: fakeFlows([]), startExecution: fake.startExecution },
      });
      const failures: number[] = [];
      for (let round = 0; round < 4; round++)
        failures.push((await poller.pollOnce()).batchItemFailures.length);
      expect(failures).toEqual([1, 1, 1, 0]);
      const dlq = await queue.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('1');
    } finally {
      await queue.stop();
    }
  });

  it('the background loop processes messages and stops promptly', async () => {
    const fake = fakeStartExecution();
    const getFlow = fakeFlows([{ flowId: 'orders', definition: orderFlow }]);
    const poller = createLocalSqsPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      // A long poll of 20 s: a stop that waited for it to end would take that long.
      waitTimeSeconds: 20,
      deps: { getFlow, startExecution: fake.startExecution },
    });
    poller.start();
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: sqs.queueUrl,
        MessageBody: JSON.stringify({ flowId: 'orders', input: { orderId: 'loop' } }),
      }),
    );
    const deadline = Date.now() + 5000;
    while (
      !fake.calls.some((call) => (call.input as { orderId?: string }).orderId === 'loop') &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stoppedAt = Date.now();
    await poller.stop();
    // The stop aborts the pending long poll instead of waiting out its 20 s (bound: half of it).
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(fake.calls.some((call) => (call.input as { orderId?: string }).orderId === 'loop')).toBe(true);
  });
});
