import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startOnFreePorts } from './local-process.ts';

const KEY = 'ffk_queue_durability_test_key_0123456';

/**
 * The local trigger queue across `kill -9` (issue 11): a message acknowledged by the local SQS — due
 * now or delayed — starts its run after a restart, once (the journal sends it again under its first id).
 */
describe('local trigger queue across SIGKILL', () => {
  const processes: LocalProcess[] = [];
  let dataDir: string;

  afterAll(async () => {
    for (const running of processes) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts every acknowledged message after a restart, delayed ones too, and none twice', {
    timeout: 120_000,
  }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-queue-'));
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
});
