import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActionContext } from '../../../lib/actions/action.ts';
import { createQueueAction } from '../../../lib/actions/queue/index.ts';
import { queueConfigSchema } from '../../../lib/actions/queue/schema.ts';

const context: ActionContext = {
  nodeId: 'enqueue',
  attempt: 1,
  execution: { id: 'e', startedAt: '2026-01-01T00:00:00Z', flowId: 'f', version: 1 },
};

let fauxqs: FauxqsServer;
let client: SQSClient;
let ordersUrl: string;
let fifoUrl: string;
beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  client = new SQSClient({
    endpoint: fauxqs.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
  });
  ordersUrl = fauxqs.createQueue('orders').queueUrl;
  fifoUrl = fauxqs.createQueue('orders.fifo', { attributes: { FifoQueue: 'true' } }).queueUrl;
});
afterAll(async () => {
  client.destroy();
  await fauxqs.stop();
});

const receive = async (url: string) =>
  (
    await client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    )
  ).Messages ?? [];

const policy = () => ({ region: 'us-east-1', account: '000000000000', localEndpoint: fauxqs.address });

describe('queue action against fauxqs', () => {
  const action = () => createQueueAction({ client, policy: policy() });
  const run = (a: ReturnType<typeof createQueueAction>, config: Record<string, unknown>) =>
    a.run(queueConfigSchema.parse(config), context);

  it('sends an object body as JSON with message attributes to a queue named by URL', async () => {
    const out = await run(action(), {
      queue: ordersUrl,
      body: { orderId: 'o-1', total: 17.5 },
      messageAttributes: { kind: 'order', priority: 3, region: { dataType: 'String.region', value: 'eu' } },
    });
    expect(out.messageId).toMatch(/.+/);
    const [message] = await receive(ordersUrl);
    expect(message?.MessageId).toBe(out.messageId);
    expect(JSON.parse(message?.Body ?? '')).toEqual({ orderId: 'o-1', total: 17.5 });
    expect(message?.MessageAttributes?.kind).toMatchObject({ DataType: 'String', StringValue: 'order' });
    expect(message?.MessageAttributes?.priority).toMatchObject({ DataType: 'Number', StringValue: '3' });
    expect(message?.MessageAttributes?.region).toMatchObject({
      DataType: 'String.region',
      StringValue: 'eu',
    });
  });

  it('looks a queue name up once and sends a string body as is', async () => {
    const a = action();
    const send = vi.spyOn(client, 'send');
    try {
      await run(a, { queue: 'orders', body: 'first' });
      await run(a, { queue: 'orders', body: 'second' });
      const lookups = send.mock.calls.filter(
        ([command]) => command.constructor.name === 'GetQueueUrlCommand',
      );
      expect(lookups).toHaveLength(1);
    } finally {
      send.mockRestore();
    }
    expect((await receive(ordersUrl)).map((m) => m.Body).sort()).toEqual(['first', 'second']);
  });

  it('passes FIFO group and deduplication ids', async () => {
    await run(action(), { queue: 'orders.fifo', body: 'fifo', groupId: 'g-1', dedupId: 'd-1' });
    const [message] = await receive(fifoUrl);
    expect(message?.Body).toBe('fifo');
    expect(message?.Attributes?.MessageGroupId).toBe('g-1');
    expect(message?.Attributes?.MessageDeduplicationId).toBe('d-1');
  });

  it('reports a missing queue as QueueNotFound, not retryable', async () => {
    const error = (await run(action(), { queue: 'no-such-queue', body: 'x' }).catch(
      (e: unknown) => e,
    )) as Error & {
      retryable: boolean;
    };
    expect(error.name).toBe('QueueNotFound');
    expect(error.retryable).toBe(false);
  });

  it('refuses a body over 256 KiB before sending', async () => {
    const error = (await run(action(), { queue: ordersUrl, body: 'x'.repeat(300 * 1024) }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.name).toBe('QueueMessageRejected');
  });

  it('reports an unreachable endpoint as QueueSendFailed, retryable', async () => {
    const dead = new SQSClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      useQueueUrlAsEndpoint: false,
    });
    const error = (await run(createQueueAction({ client: dead, policy: policy() }), {
      queue: ordersUrl,
      body: 'x',
    }).catch((e: unknown) => e)) as Error & { retryable: boolean };
    dead.destroy();
    expect(error.name).toBe('QueueSendFailed');
    expect(error.retryable).toBe(true);
  });
});

/** Issue 11: a flow's queue action as a path into FlowForge's own queues, other accounts, or any host. */
describe('queue action tenancy and SSRF', () => {
  const run = (a: ReturnType<typeof createQueueAction>, config: Record<string, unknown>) =>
    a.run(queueConfigSchema.parse(config), context);
  const refused = async (a: ReturnType<typeof createQueueAction>, queue: string) =>
    (await run(a, { queue, body: { tenantId: 'victim', flowId: 'f' } }).catch((e: unknown) => e)) as Error;

  it("refuses FlowForge's own queues by name, by URL and by configured URL, before any request", async () => {
    const own = fauxqs.createQueue('flowforge-triggers').queueUrl;
    const send = vi.spyOn(client, 'send');
    try {
      const a = createQueueAction({
        client,
        policy: { ...policy(), ownQueueUrls: [ordersUrl] },
      });
      for (const queue of ['flowforge-triggers', 'FlowForge-Prod-Triggers', own, ordersUrl]) {
        const error = await refused(a, queue);
        expect(error.name, queue).toBe('QueueNotAllowed');
      }
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
    expect(await receive(own)).toEqual([]);
  });

  it('refuses queues of another account or region, and URLs that are not SQS queue URLs', async () => {
    const a = createQueueAction({ client, policy: { region: 'eu-west-1', account: '123456789012' } });
    for (const queue of [
      'https://sqs.eu-west-1.amazonaws.com/999999999999/orders',
      'https://sqs.us-east-1.amazonaws.com/123456789012/orders',
      'https://169.254.169.254/123456789012/orders',
      'https://sqs.eu-west-1.amazonaws.com.evil.example/123456789012/orders',
      'http://sqs.eu-west-1.amazonaws.com/123456789012/orders',
    ]) {
      const error = await refused(a, queue);
      expect(error.name, queue).toBe('QueueNotAllowed');
      expect(error.message.length).toBeGreaterThan(10);
    }
  });

  it('never sends the signed request to the host of the queue URL', async () => {
    const hits: string[] = [];
    const evil = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.end('{}');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const port = (evil.address() as AddressInfo).port;
    try {
      // A URL the local policy accepts by form (a local host), but on another port: the client still
      // sends to its configured endpoint, so the attacker's host sees nothing.
      const a = createQueueAction({
        client,
        policy: { ...policy(), localEndpoint: `http://127.0.0.1:${port}` },
      });
      const error = await refused(a, `http://127.0.0.1:${port}/000000000000/orders`);
      expect(error.name).toBe('QueueNotFound');
      expect(hits).toEqual([]);
    } finally {
      evil.close();
    }
  });
});
