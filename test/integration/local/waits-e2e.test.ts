import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startOnFreePorts } from './local-process.ts';

const KEY = 'ffk_waits_e2e_test_key_0123456789abcdef';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// biome-ignore lint/suspicious/noExplicitAny: the API answers JSON the tests read freely
type Json = Record<string, any>;

/** `npm start` on its own data dir, with a small client for its API. */
class Server {
  base = '';
  process?: LocalProcess;
  constructor(readonly dataDir: string) {}

  get env() {
    return { FLOWFORGE_DATA_DIR: this.dataDir, FLOWFORGE_API_KEY: KEY, FLOWFORGE_LOG_REQUESTS: '0' };
  }

  async start(): Promise<void> {
    const { process, port } = await startOnFreePorts(this.env);
    this.process = process;
    this.base = `http://127.0.0.1:${port}/api/v1`;
  }

  async call(method: string, path: string, body?: unknown, key: string | null = KEY) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json, text };
  }

  async flow(definition: unknown): Promise<string> {
    const created = await this.call('POST', '/flows', definition);
    expect(created.status, created.text).toBe(201);
    return created.body.flowId;
  }

  async execute(flowId: string, input: unknown = {}): Promise<string> {
    const started = await this.call('POST', `/flows/${flowId}/execute`, { input });
    expect(started.status, started.text).toBe(202);
    return started.body.executionId;
  }

  /** Polls the execution until `done` holds (or 20 s pass) and answers the last read. */
  async until(executionId: string, done: (execution: Json) => boolean): Promise<Json> {
    let last: Json = {};
    for (let i = 0; i < 400; i++) {
      last = (await this.call('GET', `/executions/${executionId}`)).body;
      if (done(last)) return last;
      await sleep(50);
    }
    throw new Error(`execution ${executionId} did not get there: ${JSON.stringify(last)}`);
  }

  waiting(executionId: string, nodeId: string) {
    return this.until(executionId, (e) => e.nodes?.[nodeId]?.status === 'waiting');
  }

  finished(executionId: string) {
    return this.until(executionId, (e) => e.status !== 'RUNNING');
  }

  /** The callback ids found in the e-mails of the outbox whose subject names `tag`. */
  async callbackIds(tag: string): Promise<string[]> {
    const dir = join(this.dataDir, 'outbox');
    const ids: string[] = [];
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      const eml = await readFile(join(dir, file), 'utf8');
      if (!eml.includes(`Subject: ${tag}`)) continue;
      const [, ...parts] = eml.split('\r\n\r\n');
      const text = Buffer.from(parts.join('').replace(/\s+/g, ''), 'base64').toString('utf8');
      for (const match of text.matchAll(/\/api\/v1\/callbacks\/([A-Za-z0-9_-]{43})/g))
        ids.push(match[1] as string);
    }
    return ids;
  }

  async callbackIdOf(tag: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const [id] = await this.callbackIds(tag);
      if (id) return id;
      await sleep(50);
    }
    throw new Error(`no e-mail with a callback for ${tag}`);
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | string | undefined> {
    this.process?.child.kill(signal);
    return this.process?.exited;
  }
}

/** webhook-less approval: notify by e-mail, wait, then a log node (and optionally an error edge). */
const approvalFlow = (name: string, options: { errorEdge?: boolean; timeoutSeconds?: number } = {}) => ({
  name,
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'approve',
      type: 'operation',
      operation: 'waitForCallback',
      dependencies: ['start'],
      config: {
        ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
        notify: {
          action: 'email',
          config: {
            to: 'boss@example.com',
            subject: '{{ input.tag }}',
            text: 'Approve {{ input.tag }}: {{ callback.url }}',
          },
        },
      },
    },
    { id: 'approved', type: 'action', action: 'log', config: { message: 'ok' }, dependencies: ['approve'] },
    ...(options.errorEdge
      ? [
          {
            id: 'rejected',
            type: 'action',
            action: 'log',
            config: { message: 'no {{ nodes.approve.error.error }}' },
          },
        ]
      : []),
  ],
  connections: options.errorEdge ? [{ from: 'approve', to: 'rejected', on: 'error' }] : [],
});

const eventFlow = (name: string, lookbackSeconds?: number) => ({
  name,
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'paid',
      type: 'operation',
      operation: 'waitForEvent',
      dependencies: ['start'],
      config: {
        event: 'payment.completed',
        match: '{{ input.orderId }}',
        ...(lookbackSeconds === undefined ? {} : { lookbackSeconds }),
      },
    },
    { id: 'ship', type: 'action', action: 'log', config: { message: 'ship' }, dependencies: ['paid'] },
  ],
});

describe('waitForCallback and waitForEvent through npm start', () => {
  let server: Server;
  let otherKey = '';
  let approval = '';
  let withErrorEdge = '';
  let payments = '';

  beforeAll(async () => {
    server = new Server(await mkdtemp(join(tmpdir(), 'flowforge-waits-')));
    await server.start();
    approval = await server.flow(approvalFlow('approval'));
    withErrorEdge = await server.flow(approvalFlow('approval-with-error-edge', { errorEdge: true }));
    payments = await server.flow(eventFlow('payments'));
    const other = await server.call('POST', '/keys', {
      name: 'other tenant',
      scopes: ['executions:start', 'executions:read', 'events:send'],
      tenant: 'other',
    });
    expect(other.status, other.text).toBe(201);
    otherKey = other.body.key;
  }, 90_000);

  afterAll(async () => {
    if (server?.process?.child.exitCode === null) await server.stop('SIGKILL');
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it('approve: the node waits (run RUNNING), the e-mailed callback completes it once; 409 after, 404 unknown', {
    timeout: 60_000,
  }, async () => {
    const executionId = await server.execute(approval, { tag: 'approve-1' });
    const waiting = await server.waiting(executionId, 'approve');
    expect(waiting.status).toBe('RUNNING');
    const callbackId = await server.callbackIdOf('approve-1');
    // The id is a credential: never in an execution's view or the listing.
    expect(JSON.stringify((await server.call('GET', `/executions/${executionId}`)).body)).not.toContain(
      callbackId,
    );
    expect((await server.call('GET', '/executions?limit=100')).text).not.toContain(callbackId);

    const answered = await server.call(
      'POST',
      `/callbacks/${callbackId}`,
      { output: { approved: true } },
      null,
    );
    expect(answered.status, answered.text).toBe(202);
    expect(answered.body).toEqual({ executionId, nodeId: 'approve' });
    const done = await server.finished(executionId);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.nodes.approve).toMatchObject({ status: 'succeeded', output: { approved: true } });
    expect(done.nodes.approved.status).toBe('succeeded');

    const again = await server.call(
      'POST',
      `/callbacks/${callbackId}`,
      { output: { approved: false } },
      null,
    );
    expect(again.status).toBe(409);
    const unknown = await server.call('POST', `/callbacks/${'x'.repeat(43)}`, { output: 1 }, null);
    expect(unknown.status).toBe(404);
    expect((await server.call('POST', '/callbacks/short', { output: 1 }, null)).status).toBe(404);
    const bad = await server.call('POST', `/callbacks/${callbackId}`, { nothing: true }, null);
    expect(bad.status).toBe(400);
  });

  it('reject: with an error edge the run goes on; without one it fails with that error', {
    timeout: 60_000,
  }, async () => {
    const edged = await server.execute(withErrorEdge, { tag: 'reject-edge' });
    await server.waiting(edged, 'approve');
    const edgedId = await server.callbackIdOf('reject-edge');
    const rejected = await server.call(
      'POST',
      `/callbacks/${edgedId}`,
      { error: 'Rejected', cause: 'too expensive' },
      null,
    );
    expect(rejected.status, rejected.text).toBe(202);
    const afterEdge = await server.finished(edged);
    expect(afterEdge.status).toBe('SUCCEEDED');
    expect(afterEdge.nodes.approve).toMatchObject({
      status: 'failed',
      error: { error: 'Rejected', cause: 'too expensive' },
    });
    expect(afterEdge.nodes.rejected.status).toBe('succeeded');
    expect(afterEdge.nodes.approved.status).toBe('skipped');

    const plain = await server.execute(approval, { tag: 'reject-plain' });
    await server.waiting(plain, 'approve');
    const plainId = await server.callbackIdOf('reject-plain');
    expect((await server.call('POST', `/callbacks/${plainId}`, { error: 'Rejected' }, null)).status).toBe(
      202,
    );
    const failed = await server.finished(plain);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ error: 'Rejected' });
  });

  it('the keyed route answers for the execution tenant only', { timeout: 60_000 }, async () => {
    const executionId = await server.execute(approval, { tag: 'keyed' });
    await server.waiting(executionId, 'approve');
    const path = `/executions/${executionId}/nodes/approve/callback`;
    const foreign = await server.call('POST', path, { output: 'from elsewhere' }, otherKey);
    expect(foreign.status).toBe(404);
    expect(
      (await server.call('POST', `/executions/${executionId}/nodes/approved/callback`, { output: 1 })).status,
    ).toBe(404);
    const answered = await server.call('POST', path, { output: 'yes' });
    expect(answered.status, answered.text).toBe(202);
    expect(answered.body).toEqual({ executionId, nodeId: 'approve' });
    const done = await server.finished(executionId);
    expect(done.nodes.approve).toMatchObject({ status: 'succeeded', output: 'yes' });
    expect((await server.call('POST', path, { output: 'twice' })).status).toBe(409);
    // The e-mailed callback of that node is used up too.
    const emailed = await server.callbackIdOf('keyed');
    expect((await server.call('POST', `/callbacks/${emailed}`, { output: 1 }, null)).status).toBe(409);
  });

  it('timeout: the node fails with States.Timeout and its callback is gone (404)', {
    timeout: 60_000,
  }, async () => {
    const flowId = await server.flow(approvalFlow('short-approval', { timeoutSeconds: 1 }));
    const executionId = await server.execute(flowId, { tag: 'timeout' });
    const callbackId = await server.callbackIdOf('timeout');
    const done = await server.finished(executionId);
    expect(done.status).toBe('FAILED');
    expect(done.nodes.approve).toMatchObject({ status: 'failed', error: { error: 'States.Timeout' } });
    expect((await server.call('POST', `/callbacks/${callbackId}`, { output: 1 }, null)).status).toBe(404);
  });

  it('events complete the waiting runs of their name, key and tenant only', { timeout: 60_000 }, async () => {
    const a = await server.execute(payments, { orderId: 'order-a' });
    const b = await server.execute(payments, { orderId: 'order-b' });
    await server.waiting(a, 'paid');
    await server.waiting(b, 'paid');
    const foreign = await server.call(
      'POST',
      '/events',
      { name: 'payment.completed', key: 'order-b' },
      otherKey,
    );
    expect(foreign.status, foreign.text).toBe(202);
    expect(foreign.body.matched).toBe(0);
    const other = await server.call('POST', '/events', { name: 'payment.failed', key: 'order-a' });
    expect(other.body.matched).toBe(0);
    const sent = await server.call('POST', '/events', {
      name: 'payment.completed',
      key: 'order-a',
      payload: { amount: 42 },
    });
    expect(sent.status, sent.text).toBe(202);
    expect(sent.body).toEqual({ eventId: expect.any(String), matched: 1 });
    const done = await server.finished(a);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.nodes.paid.output).toEqual({
      eventId: sent.body.eventId,
      name: 'payment.completed',
      key: 'order-a',
      payload: { amount: 42 },
      receivedAt: expect.any(String),
    });
    const still = (await server.call('GET', `/executions/${b}`)).body;
    expect(still.status).toBe('RUNNING');
    expect(still.nodes.paid.status).toBe('waiting');
    expect((await server.call('POST', `/executions/${b}/stop`)).status).toBe(200);
  });

  it('an early event completes a wait within lookbackSeconds, not outside it', {
    timeout: 60_000,
  }, async () => {
    const early = await server.call('POST', '/events', { name: 'payment.completed', key: 'early' });
    expect(early.body.matched).toBe(0);
    const within = await server.execute(payments, { orderId: 'early' });
    const done = await server.finished(within);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.nodes.paid.output.eventId).toBe(early.body.eventId);

    const shortLookback = await server.flow(eventFlow('short-lookback', 1));
    await server.call('POST', '/events', { name: 'payment.completed', key: 'too-early' });
    await sleep(2500);
    const outside = await server.execute(shortLookback, { orderId: 'too-early' });
    const waiting = await server.waiting(outside, 'paid');
    expect(waiting.status).toBe('RUNNING');
    const late = await server.call('POST', '/events', { name: 'payment.completed', key: 'too-early' });
    expect(late.body.matched).toBe(1);
    expect((await server.finished(outside)).nodes.paid.output.eventId).toBe(late.body.eventId);
  });

  it('the examples run as the README shows: expense approval (approve and decline) and payment wait', {
    timeout: 60_000,
  }, async () => {
    const example = (name: string) => JSON.parse(readFileSync(`examples/${name}.json`, 'utf8'));
    const expenses = await server.flow(example('expense-approval'));
    const expense = (expenseId: string) => ({
      expenseId,
      amount: 120,
      approver: 'boss@example.com',
      submitter: 'ada@example.com',
      reason: 'train tickets',
    });
    const approved = await server.execute(expenses, expense('ex-1'));
    await server.waiting(approved, 'approve');
    const id = await server.callbackIdOf('Expense ex-1: 120 EUR');
    expect((await server.call('POST', `/callbacks/${id}`, { output: { approved: true } }, null)).status).toBe(
      202,
    );
    const paid = await server.finished(approved);
    expect(paid.status).toBe('SUCCEEDED');
    expect(paid.nodes.payOut.status).toBe('succeeded');
    expect(paid.nodes.declined.status).toBe('skipped');
    const declined = await server.execute(expenses, expense('ex-2'));
    await server.waiting(declined, 'approve');
    const answer = { output: { approved: false } };
    expect((await server.call('POST', `/executions/${declined}/nodes/approve/callback`, answer)).status).toBe(
      202,
    );
    const no = await server.finished(declined);
    expect(no.nodes.declined.status).toBe('succeeded');
    expect(no.nodes.payOut.status).toBe('skipped');

    const orders = await server.flow(example('payment-wait'));
    const order = await server.execute(orders, { orderId: 'ord-77' });
    await server.waiting(order, 'paid');
    const event = { name: 'payment.completed', key: 'ord-77', payload: { paymentId: 'pay-1' } };
    expect((await server.call('POST', '/events', event)).body.matched).toBe(1);
    const shipped = await server.finished(order);
    expect(shipped.nodes.ship.status).toBe('succeeded');
    expect(shipped.nodes.cancel.status).toBe('skipped');
  });

  it('inside a forEach body every item waits on its own callback', { timeout: 60_000 }, async () => {
    const flowId = await server.flow({
      name: 'approve-each',
      nodes: [
        { id: 'start', type: 'trigger', trigger: 'manual' },
        {
          id: 'each',
          type: 'operation',
          operation: 'forEach',
          dependencies: ['start'],
          config: {
            items: '{{ input.items }}',
            nodes: [
              {
                id: 'approveItem',
                type: 'operation',
                operation: 'waitForCallback',
                config: {
                  notify: {
                    action: 'email',
                    config: {
                      to: 'boss@example.com',
                      subject: 'item-{{ item.id }}',
                      text: '{{ callback.url }}',
                    },
                  },
                },
              },
            ],
          },
        },
      ],
    });
    const executionId = await server.execute(flowId, { items: [{ id: 'x1' }, { id: 'x2' }] });
    const first = await server.callbackIdOf('item-x1');
    const second = await server.callbackIdOf('item-x2');
    expect(first).not.toBe(second);
    const answered = await server.call('POST', `/callbacks/${second}`, { output: 'two' }, null);
    expect(answered.body).toEqual({ executionId, nodeId: 'approveItem' });
    expect((await server.call('GET', `/executions/${executionId}`)).body.status).toBe('RUNNING');
    expect((await server.call('POST', `/callbacks/${first}`, { output: 'one' }, null)).status).toBe(202);
    const done = await server.finished(executionId);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.nodes.each.output).toEqual(['one', 'two']);
  });

  it('two racing events complete one wait exactly once', { timeout: 60_000 }, async () => {
    const executionId = await server.execute(payments, { orderId: 'race' });
    await server.waiting(executionId, 'paid');
    const sends = await Promise.all(
      [1, 2].map((n) =>
        server.call('POST', '/events', { name: 'payment.completed', key: 'race', payload: { n } }),
      ),
    );
    expect(sends.map((s) => s.status)).toEqual([202, 202]);
    expect(sends.map((s) => s.body.matched).sort()).toEqual([0, 1]);
    const winner = sends.find((s) => s.body.matched === 1);
    const done = await server.finished(executionId);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.nodes.paid.output.eventId).toBe(winner?.body.eventId);
  });
});

describe('a waiting run survives restarts of npm start', () => {
  let server: Server;

  afterAll(async () => {
    if (server?.process?.child.exitCode === null) await server.stop('SIGKILL');
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it('keeps waiting through SIGTERM and SIGKILL, then completes on its callback and its event', {
    timeout: 120_000,
  }, async () => {
    server = new Server(await mkdtemp(join(tmpdir(), 'flowforge-waits-restart-')));
    await server.start();
    const approval = await server.flow(approvalFlow('approval'));
    const payments = await server.flow(eventFlow('payments'));
    const byCallback = await server.execute(approval, { tag: 'restart' });
    const byEvent = await server.execute(payments, { orderId: 'restart' });
    await server.waiting(byCallback, 'approve');
    await server.waiting(byEvent, 'paid');
    const callbackId = await server.callbackIdOf('restart');

    expect(await server.stop('SIGTERM')).toBe(0);
    await server.start();
    for (const [id, node] of [
      [byCallback, 'approve'],
      [byEvent, 'paid'],
    ] as const) {
      const read = (await server.call('GET', `/executions/${id}`)).body;
      expect(read.status).toBe('RUNNING');
      expect(read.nodes[node].status).toBe('waiting');
      expect(read.nodes.start.status).toBe('succeeded');
    }

    expect(await server.stop('SIGKILL')).toBe('SIGKILL');
    await server.start();
    await server.waiting(byCallback, 'approve');
    await server.waiting(byEvent, 'paid');
    // notify ran once: the resumed wait sent no second e-mail
    expect(await server.callbackIds('restart')).toEqual([callbackId]);

    const answered = await server.call(
      'POST',
      `/callbacks/${callbackId}`,
      { output: 'after restarts' },
      null,
    );
    expect(answered.status, answered.text).toBe(202);
    const sent = await server.call('POST', '/events', { name: 'payment.completed', key: 'restart' });
    expect(sent.body.matched).toBe(1);
    const approved = await server.finished(byCallback);
    expect(approved.status).toBe('SUCCEEDED');
    expect(approved.nodes.approve.output).toBe('after restarts');
    expect((await server.finished(byEvent)).status).toBe('SUCCEEDED');
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});
