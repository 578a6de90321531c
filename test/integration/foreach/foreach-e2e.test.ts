import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  nodes: {
    [id: string]: {
      status: string;
      output?: unknown;
      error?: { error: string; cause?: string };
      items?: unknown;
      iterations?: unknown;
    };
  };
};

/**
 * A forEach over `input.list` whose body pads each item to ~1 KB (a transform); `failAt` makes that
 * one item fail (a JSONata `$error`), `toleratedFailures` lets it.
 */
const manyItems = (options: { toleratedFailures?: number; failAt?: number } = {}) => {
  const padded = "{ 'i': item, 'pad': $pad('', 1000, 'x') }";
  const expression =
    options.failAt === undefined
      ? padded
      : `item = ${options.failAt} ? $error('item ${options.failAt} is refused') : ${padded}`;
  return {
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
          ...(options.toleratedFailures === undefined
            ? {}
            : { toleratedFailures: options.toleratedFailures }),
          nodes: [{ id: 'pad', type: 'action', action: 'transform', config: { expression } }],
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
  };
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
      if (request.url === '/big') {
        response.end(JSON.stringify(['a', 'b'].map((letter) => letter.repeat(200 * 1024))));
        return;
      }
      if (request.url === '/catalogue') {
        // 10,000 small objects: more than one Step Functions state holds (256 KiB).
        const lines = Array.from({ length: 10_000 }, (_, n) => ({
          id: n,
          sku: `SKU-${String(n).padStart(6, '0')}`,
        }));
        response.end(JSON.stringify(lines));
        return;
      }
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

  /** `flowforge run FILE --json` of a definition written to the data dir: the record it prints (exit 0 or 1). */
  const runCli = async (name: string, definition: unknown, runInput: unknown): Promise<Record> => {
    const file = join(dataDir, `${name}.json`);
    await writeFile(file, JSON.stringify(definition));
    const { stdout } = await exec(
      process.execPath,
      ['bin/flowforge.js', 'run', file, '--input', JSON.stringify(runInput), '--json'],
      {
        env: {
          ...process.env,
          FLOWFORGE_DATA_DIR: dataDir,
          FLOWFORGE_LOCAL: '1',
          FLOWFORGE_HTTP_ALLOW: '127.0.0.1',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((error: { code?: number; stdout: string; stderr: string }) => {
      // Exit 1 is a run that did not succeed: its record is still printed.
      if (error.code === 1 && error.stdout.startsWith('{')) return { stdout: error.stdout };
      throw new Error(`flowforge run failed: ${error.stderr}\n${error.stdout.slice(0, 2000)}`);
    });
    return JSON.parse(stdout) as Record;
  };

  it('flowforge run: 2,000 items of ~1 KB each with one tolerated failure, in item order', async () => {
    const list = Array.from({ length: 2000 }, (_, i) => i);
    const record = await runCli('many-items', manyItems({ toleratedFailures: 1, failAt: 777 }), { list });
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    expect(record.nodes.each).toMatchObject({
      status: 'succeeded',
      items: { total: 2000, succeeded: 1999, failed: 1 },
    });
    const output = record.nodes.each?.output as Array<
      { i: number; pad: string } & { error?: { error: string; cause?: string } }
    >;
    expect(output).toHaveLength(2000);
    expect(output[777]?.error).toMatchObject({ cause: expect.stringContaining('item 777 is refused') });
    expect(output.filter((_, i) => i !== 777).map((o) => o.i)).toEqual(list.filter((i) => i !== 777));
    expect(output[1999]?.pad.length).toBe(1000);
    // More than one Step Functions state could hold: the array reached the next node whole.
    expect(JSON.stringify(output).length).toBeGreaterThan(7 * 256 * 1024);
    expect(record.nodes.count?.output).toBe(2000);
    expect(record.nodes.pad?.iterations).toMatchObject({ total: 2000, succeeded: 1999, failed: 1 });
  }, 120_000);

  it('flowforge run: 10,000 small objects (a list over 256 KiB) from an upstream node, each item once, in order', async () => {
    const record = await runCli(
      'ten-thousand',
      {
        name: 'ten-thousand',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'make',
            type: 'action',
            action: 'http',
            config: { method: 'GET', url: '{{ input.baseUrl }}/catalogue' },
            dependencies: ['start'],
          },
          {
            id: 'each',
            type: 'operation',
            operation: 'forEach',
            dependencies: ['make'],
            config: {
              items: '{{ nodes.make.output.body }}',
              concurrency: 40,
              nodes: [
                {
                  id: 'line',
                  type: 'operation',
                  operation: 'set',
                  config: { values: { id: '{{ item.id }}', at: '{{ index }}', sku: '{{ item.sku }}' } },
                },
              ],
            },
          },
          {
            id: 'total',
            type: 'action',
            action: 'transform',
            config: { expression: '$sum(nodes.each.output.id)' },
            dependencies: ['each'],
          },
        ],
      },
      { baseUrl },
    );
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    expect(record.nodes.each?.items).toEqual({ total: 10000, succeeded: 10000, failed: 0 });
    const output = record.nodes.each?.output as Array<{ id: number; at: number; sku: string }>;
    expect(output).toHaveLength(10000);
    expect(JSON.stringify(output).length).toBeGreaterThan(256 * 1024);
    expect(
      output.every(
        (line, i) => line.id === i && line.at === i && line.sku === `SKU-${String(i).padStart(6, '0')}`,
      ),
    ).toBe(true);
    expect(record.nodes.total?.output).toBe((9999 * 10000) / 2);
  }, 120_000);

  it('flowforge run: an item whose child execution outgrows a state fails the Distributed Map (no tolerance for that)', async () => {
    const record = await runCli(
      'too-big-item',
      {
        name: 'too-big-item',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'fetchBig',
            type: 'action',
            action: 'http',
            config: { method: 'GET', url: '{{ input.baseUrl }}/big' },
            dependencies: ['start'],
          },
          {
            id: 'each',
            type: 'operation',
            operation: 'forEach',
            dependencies: ['fetchBig'],
            config: {
              items: '{{ nodes.fetchBig.output.body }}',
              toleratedFailurePercent: 100,
              // The item (200 KiB) and its copy: the child's state is over 256 KiB.
              nodes: [
                {
                  id: 'copy',
                  type: 'operation',
                  operation: 'set',
                  config: { values: { again: '{{ item }}' } },
                },
              ],
            },
          },
        ],
      },
      { baseUrl },
    );
    expect(record.status).toBe('FAILED');
    expect(record.nodes.each?.status).toBe('failed');
    expect(record.nodes.each?.error?.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(record.nodes.each?.error?.cause).toContain('States.DataLimitExceeded');
  }, 60_000);

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
      const created = await call('POST', '/flows', manyItems());
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
