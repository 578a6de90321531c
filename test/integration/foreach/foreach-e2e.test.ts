import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startOnFreePorts } from '../local/local-process.ts';

const exec = promisify(execFile);
const KEY = 'ffk_foreach_e2e_test_key_0123456789ab';

type Record = {
  status: string;
  error?: { error: string; cause?: string };
  nodes: { [id: string]: { status: string; output?: unknown; items?: unknown; iterations?: unknown } };
};

/**
 * examples/orders-foreach.json against a real HTTP API on 127.0.0.1 (order B2 answers 500 every
 * time: retried per item, then kept as that item's error within the tolerance), once through
 * `flowforge run` and once through `npm start` over real HTTP; and a 2,000-item forEach whose
 * items produce ~1 KB each.
 */
describe('forEach end to end', () => {
  let api: Server;
  let baseUrl: string;
  const calls: string[] = [];
  let dataDir: string;

  beforeAll(async () => {
    api = createServer((request, response) => {
      calls.push(`${request.method} ${request.url}`);
      const id = /\/orders\/([^/]+)\/confirm/.exec(request.url ?? '')?.[1];
      response.setHeader('content-type', 'application/json');
      if (id === 'B2') {
        response.statusCode = 500;
        response.end('{"message":"down"}');
        return;
      }
      response.end(JSON.stringify({ confirmation: `C-${id}` }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-foreach-'));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => api.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  const input = () => ({
    baseUrl,
    notify: 'ops@example.com',
    orders: [
      { id: 'A1', qty: 2 },
      { id: 'B2', qty: 1 },
      { id: 'C3', qty: 5 },
    ],
  });

  const expectOrders = (record: Record) => {
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.confirmEach).toMatchObject({
      status: 'succeeded',
      items: { total: 3, succeeded: 2, failed: 1 },
    });
    const output = record.nodes.confirmEach?.output as unknown[];
    expect(output[0]).toEqual({ order: 'A1', confirmation: 'C-A1' });
    expect(output[1]).toMatchObject({ error: { error: 'Http5xx' } });
    expect(output[2]).toEqual({ order: 'C3', confirmation: 'C-C3' });
    expect(record.nodes.summarise?.output).toBe('Confirmed 2 of 3 orders: A1, C3');
    expect(record.nodes.mail?.status).toBe('succeeded');
  };

  it('flowforge run examples/orders-foreach.json: per-item calls, retries per item, the error kept at its index', async () => {
    calls.length = 0;
    const { stdout } = await exec(
      process.execPath,
      [
        'bin/flowforge.js',
        'run',
        'examples/orders-foreach.json',
        '--input',
        JSON.stringify(input()),
        '--json',
      ],
      {
        env: {
          ...process.env,
          FLOWFORGE_HTTP_ALLOW: '127.0.0.1',
          FLOWFORGE_DATA_DIR: dataDir,
          FLOWFORGE_EMAIL_FROM: 'flowforge@example.com',
          FLOWFORGE_LOCAL: '1',
        },
      },
    ).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(
        `flowforge run failed: ${error.stderr}\n${JSON.stringify(JSON.parse(error.stdout).error)}`,
      );
    });
    expectOrders(JSON.parse(stdout) as Record);
    // A1 and C3 once each, B2 three times (maxAttempts 3): each item has its own retries.
    expect(calls.filter((c) => c.includes('/B2/')).length).toBe(3);
    expect(calls.filter((c) => c.includes('/A1/')).length).toBe(1);
    const mails = await readdir(join(dataDir, 'outbox'));
    const mail = await readFile(join(dataDir, 'outbox', mails[0] as string), 'utf8');
    expect(mail).toMatch(/^To: ops@example.com\r?$/m);
    expect(mail).toMatch(/^Subject: Orders confirmed\r?$/m);
  });

  describe('through npm start (real HTTP)', () => {
    let server: LocalProcess;
    let base: string;
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const runToEnd = async (flowId: string, runInput: unknown): Promise<Record> => {
      const started = await call('POST', `/flows/${flowId}/execute`, { input: runInput });
      expect(started.status).toBe(202);
      for (let i = 0; i < 600; i++) {
        const read = await call('GET', `/executions/${started.body.executionId}`);
        if (read.status === 200 && read.body.status !== 'RUNNING') return read.body;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the execution did not end in time');
    };

    beforeAll(async () => {
      const started = await startOnFreePorts({
        FLOWFORGE_DATA_DIR: join(dataDir, 'server'),
        FLOWFORGE_API_KEY: KEY,
        FLOWFORGE_LOG_REQUESTS: '0',
        FLOWFORGE_HTTP_ALLOW: '127.0.0.1',
        FLOWFORGE_EMAIL_FROM: 'flowforge@example.com',
        FLOWFORGE_TIME_SCALE: '0.001',
      });
      server = started.process;
      base = `http://127.0.0.1:${started.port}/api/v1`;
    });
    afterAll(async () => {
      server?.child.kill('SIGTERM');
      await server?.exited;
    });

    it('saves, runs and reports the forEach with items progress and body records', async () => {
      const definition = JSON.parse(await readFile('examples/orders-foreach.json', 'utf8'));
      const created = await call('POST', '/flows', definition);
      expect(created.status).toBe(201);
      const record = await runToEnd(created.body.flowId, input());
      expectOrders(record);
      expect(record.nodes.confirm).toMatchObject({
        status: 'failed',
        failedIteration: 'confirmEach[1]',
        iterations: { total: 3, succeeded: 2, failed: 1 },
      });
    });

    it('refuses a body that reads a node outside its upstream, with the pointer into the body', async () => {
      const created = await call('POST', '/flows', {
        name: 'bad-body',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'each',
            type: 'operation',
            operation: 'forEach',
            dependencies: ['start'],
            config: {
              items: '{{ input.list }}',
              nodes: [
                {
                  id: 'inner',
                  type: 'action',
                  action: 'log',
                  config: { message: '{{ nodes.later.output }}' },
                },
              ],
            },
          },
          { id: 'later', type: 'action', action: 'log', config: { message: 'x' }, dependencies: ['each'] },
        ],
      });
      expect(created.status).toBe(400);
      expect(JSON.stringify(created.body)).toContain('/nodes/1/config/nodes/0/config/message');
    });

    it('runs 2,000 items whose outputs are ~1 KB each, in item order', async () => {
      const created = await call('POST', '/flows', {
        name: 'many-items',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'each',
            type: 'operation',
            operation: 'forEach',
            dependencies: ['start'],
            config: {
              items: '{{ input.list }}',
              concurrency: 40,
              nodes: [
                {
                  id: 'pad',
                  type: 'action',
                  action: 'transform',
                  config: { expression: "{ 'i': item, 'pad': $pad('', 1000, 'x') }" },
                },
              ],
            },
          },
          {
            id: 'count',
            type: 'action',
            action: 'transform',
            config: { expression: '$count(nodes.each.output)' },
            dependencies: ['each'],
          },
        ],
      });
      expect(created.status).toBe(201);
      const list = Array.from({ length: 2000 }, (_, i) => i);
      const record = await runToEnd(created.body.flowId, { list });
      expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
      expect(record.nodes.each?.items).toEqual({ total: 2000, succeeded: 2000, failed: 0 });
      const output = record.nodes.each?.output as Array<{ i: number; pad: string }>;
      expect(output.map((o) => o.i)).toEqual(list);
      expect(output[1999]?.pad.length).toBe(1000);
      expect(record.nodes.count?.output).toBe(2000);
    }, 120_000);
  });
});
