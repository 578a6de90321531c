import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersDocument, startOrdersServer } from '../../support/orders-server.ts';
import { apiCaller, type LocalProcess, startOnFreePorts } from './local-process.ts';

const KEY = 'ffk_large_data_test_key_0123456789ab';

/**
 * `npm start` over real HTTP with the Lambdas' idempotency (Powertools on dynalite) and the payload
 * store on: a saga whose compensations use the same action kinds as its forward nodes, and a flow
 * that moves ~1.6 MB between nodes under Step Functions' 256 KiB state limit.
 */
describe('large data and idempotency through npm start', () => {
  let server: LocalProcess;
  let dataDir: string;
  let base: string;
  let sqs: SQSClient;
  let orders: Awaited<ReturnType<typeof startOrdersServer>>;

  const call = apiCaller(() => base, KEY);
  const runToEnd = async (flowId: string, input: unknown) => {
    const started = await call('POST', `/flows/${flowId}/execute`, { input });
    expect(started.status).toBe(202);
    for (let i = 0; i < 300; i++) {
      const read = await call('GET', `/executions/${started.body.executionId}`);
      if (read.status === 200 && read.body.status !== 'RUNNING') return read.body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the execution did not end in time');
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-large-data-'));
    orders = await startOrdersServer();
    const started = await startOnFreePorts({
      FLOWFORGE_DATA_DIR: dataDir,
      FLOWFORGE_API_KEY: KEY,
      FLOWFORGE_LOG_REQUESTS: '0',
      FLOWFORGE_HTTP_ALLOW: '127.0.0.1',
      FLOWFORGE_TIME_SCALE: '0.001',
    });
    server = started.process;
    base = `http://127.0.0.1:${started.port}/api/v1`;
    const sqsEndpoint = /SQS:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1];
    if (!sqsEndpoint) throw new Error(`no SQS endpoint in:\n${server.output()}`);
    sqs = new SQSClient({
      endpoint: sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }, 90_000);
  afterAll(async () => {
    sqs?.destroy();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await orders?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a failing saga runs every compensation of the same action kinds (outbox mails, queue messages)', async () => {
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'saga-events' }))).QueueUrl;
    const created = await call('POST', '/flows', {
      name: 'saga',
      nodes: [
        {
          id: 'mail',
          type: 'action',
          action: 'email',
          config: { to: 'buyer@example.com', subject: 'Order placed', text: 'placed' },
          compensate: {
            action: 'email',
            config: { to: 'buyer@example.com', subject: 'Order cancelled', text: 'cancelled' },
          },
        },
        {
          id: 'reserve',
          type: 'action',
          action: 'queue',
          config: { queue: '{{ input.queueUrl }}', body: { event: 'reserved' } },
          compensate: {
            action: 'queue',
            config: { queue: '{{ input.queueUrl }}', body: { event: 'released' } },
          },
          dependencies: ['mail'],
        },
        {
          id: 'boom',
          type: 'operation',
          operation: 'fail',
          config: { error: 'OutOfStock', cause: 'nothing left' },
          dependencies: ['reserve'],
        },
      ],
    });
    expect(created.status).toBe(201);
    const record = await runToEnd(created.body.flowId, { queueUrl });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ error: 'OutOfStock' });
    expect(record.nodes.mail.status).toBe('succeeded');
    expect(record.nodes.reserve.status).toBe('succeeded');

    const mails = await readdir(join(dataDir, 'outbox'));
    const subjects = await Promise.all(
      mails.map(
        async (file) => /^Subject: (.*)$/m.exec(await readFile(join(dataDir, 'outbox', file), 'utf8'))?.[1],
      ),
    );
    expect(subjects.sort()).toEqual(['Order cancelled', 'Order placed']);

    const events: string[] = [];
    for (let i = 0; i < 5 && events.length < 2; i++) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of received.Messages ?? []) events.push(JSON.parse(message.Body ?? '{}').event);
    }
    expect(events.sort()).toEqual(['released', 'reserved']);
    // The idempotency records are in the local table: Powertools really ran (one per side-effect Task).
    expect(server.output()).not.toMatch(/IdempotencyMismatch|IdempotencyValidation/);
  });

  it('moves ~1.6 MB between nodes under the 256 KiB state limit; the API returns the full values', async () => {
    const definition = JSON.parse(
      await readFile(join(import.meta.dirname, '../../fixtures/large-data/flow.json'), 'utf8'),
    );
    const created = await call('POST', '/flows', definition);
    expect(created.status).toBe(201);
    const record = await runToEnd(created.body.flowId, { baseUrl: orders.baseUrl });
    expect({ status: record.status, error: record.error }).toEqual({ status: 'SUCCEEDED' });

    const served = ordersDocument();
    expect(record.nodes.fetch.output.status).toBe(200);
    expect(record.nodes.fetch.output.body).toEqual(served);
    expect(record.nodes.summarise.output.count).toBe(3500);
    expect(record.nodes.summarise.output.orders).toEqual(served.orders.slice(0, 1000));
    for (let step = 1; step <= 6; step++) {
      const output = record.nodes[`t${step}`].output;
      expect(output).toHaveLength(1000);
      expect(output[999]).toEqual({ id: 999, step, note: served.orders[999]?.note });
      expect(JSON.stringify(output).length).toBeGreaterThan(140_000);
    }
    expect(record.nodes.report.output).toEqual({ message: '3500 orders fetched with status 200' });
    expect(record.output.fetch.body).toEqual(served);
    // Each large value went to the payload folder of the data dir, one file per offloaded subtree.
    // Keys start with the tenant: the default tenant of FLOWFORGE_API_KEY.
    const flowDir = join(dataDir, 'payloads', 'default', created.body.flowId);
    const [executionDir] = await readdir(flowDir);
    const offloaded = await readdir(join(flowDir, executionDir ?? ''));
    expect(offloaded.sort()).toEqual(['fetch', 'summarise', 't1', 't2', 't3', 't4', 't5', 't6']);
  });
});
