import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { apiCaller, type LocalProcess, startOnFreePorts } from '../local/local-process.ts';

const KEY = 'ffk_crash_consistency_key_0123456789ab';
/** The issue's burst: 200 concurrent starts (FLOWFORGE_CRASH_STARTS overrides it for a heavier run). */
const STARTS = Number(process.env.FLOWFORGE_CRASH_STARTS ?? 200);
/**
 * The starts are spread over this many keys of the tenant: each key's bucket (100, local mode) then
 * admits its share at once, so the burst is 200 accepted starts, not 100 starts and 100 answers 429.
 */
const KEYS = 4;
/** Trigger-queue messages sent with DelaySeconds in the middle of the burst, just before the kill; due only after the restart. */
const DELAYED = 20;
const DELAY_SECONDS = 8;

type Item = {
  executionId: string;
  status: string;
  startedAt: string;
  trigger: { type: string };
  input: { n: number };
};

/**
 * Issue 11: kill -9 during a burst of starts left executions RUNNING forever, with no nodes, and
 * fauxqs lost acknowledged messages. The attack: 200 concurrent execute calls and 20 delayed
 * trigger-queue messages, then kill -9 mid-burst, before the messages are due. After the restart
 * every acknowledged start is listed, none is RUNNING with nothing running (each SUCCEEDED or is
 * INTERRUPTED, and an INTERRUPTED one can be redriven), and each delayed message starts exactly
 * one run, not before it was due.
 */
describe('crash consistency of a burst of starts and delayed queue messages', () => {
  const processes: LocalProcess[] = [];
  let dataDir = '';
  afterAll(async () => {
    for (const running of processes) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`kill -9 during ${STARTS} concurrent starts and ${DELAYED} delayed messages: nothing lost, nothing stuck`, {
    timeout: 180_000,
  }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-burst-'));
    const env = { FLOWFORGE_DATA_DIR: dataDir, FLOWFORGE_API_KEY: KEY, FLOWFORGE_LOG_REQUESTS: '0' };
    let base = '';
    const call = apiCaller(() => base, KEY);
    // Where the test was, and what the servers said, when it failed (a timeout tells nothing else).
    let phase = 'starting';
    onTestFailed(() => {
      console.error(`crash test failed in phase "${phase}"`);
      for (const running of processes) console.error(running.output().slice(-3000));
    });
    const start = async () => {
      const started = await startOnFreePorts(env);
      processes.push(started.process);
      base = `http://127.0.0.1:${started.port}/api/v1`;
      const queueUrl = /queue flowforge-triggers \((\S+)\)/.exec(started.process.output())?.[1];
      if (!queueUrl) throw new Error(`no queue URL in:\n${started.process.output()}`);
      return { ...started, queueUrl };
    };

    const first = await start();
    const flow = await call('POST', '/flows', {
      name: 'burst',
      nodes: [
        { id: 'queued', type: 'trigger', trigger: 'queue' },
        {
          id: 'hello',
          type: 'action',
          action: 'log',
          config: { message: 'hi {{ input.n }}' },
          dependencies: ['queued'],
        },
      ],
    });
    expect(flow.status).toBe(201);
    const flowId: string = flow.body.flowId;
    const starters: Array<ReturnType<typeof apiCaller>> = [];
    for (let k = 0; k < KEYS; k++) {
      const created = await call('POST', '/keys', { name: `burst ${k}`, scopes: ['executions:start'] });
      expect(created.status).toBe(201);
      starters.push(apiCaller(() => base, created.body.key));
    }

    phase = 'burst';
    const accepted: string[] = [];
    const refused: number[] = [];
    let answered = 0;
    let unanswered = 0;
    const starts = Array.from({ length: STARTS }, (_, n) =>
      (starters[n % KEYS] as ReturnType<typeof apiCaller>)('POST', `/flows/${flowId}/execute`, {
        input: { n },
      })
        .then((response) => {
          answered++;
          if (response.status === 202) accepted.push(response.body.executionId);
          else refused.push(response.status);
        })
        .catch(() => {
          unanswered++;
        }),
    );
    // The attack: in the middle of the burst (a fifth answered) …
    while (answered < STARTS / 5 && answered + unanswered < STARTS) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // … the delayed messages are sent and acknowledged, then kill -9, long before they are due.
    phase = 'sending the delayed messages';
    const sqs = new SQSClient({
      endpoint: new URL(first.queueUrl).origin,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const sentAt = Date.now();
    for (let batch = 0; batch < DELAYED; batch += 10) {
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: first.queueUrl,
          Entries: Array.from({ length: Math.min(10, DELAYED - batch) }, (_, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify({ flowId, input: { n: batch + i } }),
            DelaySeconds: DELAY_SECONDS,
          })),
        }),
      );
      expect(sent.Failed ?? []).toEqual([]);
    }
    sqs.destroy();
    phase = `killed after ${answered} answers`;
    const killedAt = Date.now();
    first.process.child.kill('SIGKILL');
    await Promise.all(starts);
    expect(await first.process.exited).toBe('SIGKILL');
    expect(refused).toEqual([]);
    expect(accepted.length).toBeGreaterThan(0);
    expect(killedAt, 'the kill came before the delayed messages were due').toBeLessThan(
      sentAt + DELAY_SECONDS * 1000,
    );

    await start();
    phase = 'listing after the restart';
    const all = async () => {
      const items: Item[] = [];
      let cursor: string | undefined;
      do {
        const page = await call(
          'GET',
          `/flows/${flowId}/executions?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return items;
    };
    const settled = (items: Item[]) =>
      items.filter((item) => item.trigger.type === 'queue').length >= DELAYED &&
      !items.some((item) => item.status === 'RUNNING');
    let items = await all();
    // Bounded by time, not by a count of polls: whatever is still RUNNING then is named by the checks below.
    const deadline = Date.now() + 90_000;
    while (!settled(items) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      items = await all();
    }

    phase = 'checking';
    // Nothing acknowledged is lost, and nothing is stuck.
    const known = new Set(items.map((item) => item.executionId));
    for (const id of accepted) expect(known.has(id), id).toBe(true);
    expect(items.filter((item) => item.status === 'RUNNING')).toEqual([]);
    for (const item of items)
      expect(['SUCCEEDED', 'INTERRUPTED'], JSON.stringify(item)).toContain(item.status);

    // Each delayed message started exactly one run, and none before it was due.
    const queued = items.filter((item) => item.trigger.type === 'queue');
    expect(queued.map((item) => item.input.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: DELAYED }, (_, q) => q),
    );
    for (const item of queued) {
      expect(Date.parse(item.startedAt)).toBeGreaterThanOrEqual(sentAt + DELAY_SECONDS * 1000);
      expect(item.status).toBe('SUCCEEDED');
    }

    // An INTERRUPTED run is not stuck: redrive takes it (finding: stop and redrive answered 409).
    phase = 'redriving';
    const interrupted = items.filter((item) => item.status === 'INTERRUPTED').slice(0, 3);
    for (const item of interrupted) {
      const redriven = await call('POST', `/executions/${item.executionId}/redrive`);
      expect(redriven.status, JSON.stringify(redriven.body)).toBe(202);
    }
    for (const item of interrupted) {
      let status = '';
      for (let i = 0; i < 300 && status !== 'SUCCEEDED'; i++) {
        status = (await call('GET', `/executions/${item.executionId}`)).body.status;
        if (status !== 'SUCCEEDED') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe('SUCCEEDED');
    }

    phase = 'stopping';
    const second = processes[processes.length - 1] as LocalProcess;
    second.child.kill('SIGTERM');
    const stopped = await Promise.race([
      second.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running 30 s after SIGTERM'), 30_000)),
    ]);
    expect(stopped).toBe(0);
  });
});
