import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startOnFreePorts } from './local-process.ts';

const KEY = 'ffk_queue_durability_test_key_0123456';

/**
 * The local trigger queue across `kill -9` (issue 11): a message acknowledged by the local SQS — due
 * now or delayed — starts its run after a restart, once (the journal sends it again under its first id).
 */
describe('local trigger queue across SIGKILL', () => {
  const processes: LocalProcess[] = [];
  const dataDirs: string[] = [];
  let dataDir: string;

  afterAll(async () => {
    for (const running of processes) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it('starts every acknowledged message after a restart, delayed ones too, and none twice', {
    timeout: 120_000,
  }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-queue-'));
    dataDirs.push(dataDir);
    const env = { FLOWFORGE_DATA_DIR: dataDir, FLOWFORGE_API_KEY: KEY, FLOWFORGE_LOG_REQUESTS: '0' };
    const start = async () => {
      const started = await startOnFreePorts(env);
      processes.push(started.process);
      const queueUrl = /queue flowforge-triggers \((\S+)\)/.exec(started.process.output())?.[1];
      if (!queueUrl) throw new Error(`no queue URL in:\n${started.process.output()}`);
      return { ...started, base: `http://127.0.0.1:${started.port}/api/v1`, queueUrl };
    };
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await response.json()) as { flowId?: string; items?: Array<{ input: { n: number } }> };
    };

    const first = await start();
    const flow = await call(first.base, 'POST', '/flows', {
      name: 'queued',
      nodes: [
        { id: 'q', type: 'trigger', trigger: 'queue' },
        {
          id: 'say',
          type: 'action',
          action: 'log',
          config: { message: 'got {{ input.n }}' },
          dependencies: ['q'],
        },
      ],
    });
    const sqs = new SQSClient({
      endpoint: new URL(first.queueUrl).origin,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Two due now, one delayed past the kill: each acknowledged before the process dies.
    for (const [n, delay] of [
      [1, 0],
      [2, 0],
      [3, 4],
    ] as const) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: first.queueUrl,
          MessageBody: JSON.stringify({ flowId: flow.flowId, input: { n } }),
          DelaySeconds: delay,
        }),
      );
    }
    sqs.destroy();
    first.process.child.kill('SIGKILL');
    expect(await first.process.exited).toBe('SIGKILL');

    const second = await start();
    const deadline = Date.now() + 30_000;
    let inputs: number[] = [];
    while (Date.now() < deadline) {
      const listed = await call(second.base, 'GET', `/flows/${flow.flowId}/executions?limit=50`);
      inputs = (listed.items ?? []).map((item) => item.input.n).sort();
      if (inputs.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(inputs).toEqual([1, 2, 3]);
    // A message whose run had started before the kill is not started again once more has passed.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const again = await call(second.base, 'GET', `/flows/${flow.flowId}/executions?limit=50`);
    expect((again.items ?? []).map((item) => item.input.n).sort()).toEqual([1, 2, 3]);
  });

  it('keeps what the DLQ holds across a kill: a dead-lettered message stays there, a deleted one stays deleted', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-dlq-'));
    dataDirs.push(dir);
    // Time scale 0.001: the trigger queue's visibility timeout is 1 s, so three failed receives take ~3 s.
    const env = {
      FLOWFORGE_DATA_DIR: dir,
      FLOWFORGE_API_KEY: KEY,
      FLOWFORGE_LOG_REQUESTS: '0',
      FLOWFORGE_TIME_SCALE: '0.001',
    };
    const start = async () => {
      const started = await startOnFreePorts(env);
      processes.push(started.process);
      const queueUrl = /queue flowforge-triggers \((\S+)\)/.exec(started.process.output())?.[1];
      if (!queueUrl) throw new Error(`no queue URL in:\n${started.process.output()}`);
      const origin = new URL(queueUrl).origin;
      const sqs = new SQSClient({
        endpoint: origin,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const count = async (url: string) => {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
        );
        return (
          [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ] as const
        )
          .map((name) => Number(Attributes[name] ?? 0))
          .reduce((a, b) => a + b, 0);
      };
      return { ...started, sqs, count, queueUrl, dlqUrl: `${origin}/000000000000/flowforge-triggers-dlq` };
    };

    // The poison messages: no trigger message can be read from them, so every receive fails.
    const first = await start();
    for (const body of ['not json A', 'not json B']) {
      await first.sqs.send(new SendMessageCommand({ QueueUrl: first.queueUrl, MessageBody: body }));
    }
    const deadline = Date.now() + 60_000;
    while ((await first.count(first.dlqUrl)) < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await first.count(first.dlqUrl)).toBe(2);
    // An operator reads the DLQ and deletes A; B stays (received, not deleted).
    const dead = await first.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: first.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect((dead.Messages ?? []).map((message) => message.Body).sort()).toEqual(['not json A', 'not json B']);
    const a = (dead.Messages ?? []).find((message) => message.Body === 'not json A');
    await first.sqs.send(
      new DeleteMessageCommand({ QueueUrl: first.dlqUrl, ReceiptHandle: a?.ReceiptHandle }),
    );
    first.sqs.destroy();
    first.process.child.kill('SIGKILL');
    expect(await first.process.exited).toBe('SIGKILL');

    // Right after the restart: B is back in the DLQ (not on the trigger queue for three more tries), A is gone.
    const second = await start();
    expect(await second.count(second.queueUrl)).toBe(0);
    expect(await second.count(second.dlqUrl)).toBe(1);
    const after = await second.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: second.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect((after.Messages ?? []).map((message) => message.Body)).toEqual(['not json B']);
    second.sqs.destroy();
    second.process.child.kill('SIGTERM');
    expect(await second.process.exited).toBe(0);
  });
});
