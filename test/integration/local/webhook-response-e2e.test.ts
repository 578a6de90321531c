import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../lib/security/webhook-signature.ts';
import { type LocalProcess, startOnFreePorts } from './local-process.ts';

const KEY = 'ffk_webhook_response_e2e_key_0123456789ab';

// biome-ignore lint/suspicious/noExplicitAny: the API answers JSON the tests read freely
type Json = Record<string, any>;

/**
 * Webhook responses (DESIGN.md §2.2) over real HTTP through `npm start`: a trigger with
 * `response: "sync"` answers with a `respond` node, with the run's output, with 500 for a failed
 * run, and with 202 once `timeoutSeconds` passed.
 */
describe('synchronous webhooks through npm start', () => {
  let dataDir: string;
  let server: LocalProcess;
  let base = '';

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json, text };
  };

  /** Saves a flow whose webhook trigger `hook` has `hookConfig`, and answers its URL and secret. */
  const flowWithHook = async (hookConfig: Json, nodes: Json[]) => {
    const created = await call('POST', '/flows', {
      name: `hook-${Math.random().toString(36).slice(2, 8)}`,
      nodes: [{ id: 'hook', type: 'trigger', trigger: 'webhook', config: hookConfig }, ...nodes],
    });
    expect(created.status, created.text).toBe(201);
    const hook = created.body.triggers.find((t: Json) => t.id === 'hook');
    return { url: hook.url as string, secret: hook.secret as string };
  };

  let delivery = 0;
  const deliver = async (hook: { url: string; secret: string }, payload: unknown) => {
    const rawBody = JSON.stringify(payload);
    delivery += 1;
    const headers = signWebhook({
      secret: hook.secret,
      webhookId: `msg_${delivery}`,
      timestamp: new Date(),
      rawBody,
    });
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: rawBody,
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-sync-hook-'));
    const started = await startOnFreePorts({
      FLOWFORGE_DATA_DIR: dataDir,
      FLOWFORGE_API_KEY: KEY,
      FLOWFORGE_LOG_REQUESTS: '0',
    });
    server = started.process;
    base = `http://127.0.0.1:${started.port}/api/v1`;
  }, 90_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers with the respond node: its status, headers and body (the run goes on after it)', async () => {
    const hook = await flowWithHook({ response: 'sync', timeoutSeconds: 10 }, [
      {
        id: 'price',
        type: 'action',
        action: 'code',
        dependencies: ['hook'],
        config: {
          source: 'return { total: args.qty * args.unit };',
          args: { qty: '{{ input.qty }}', unit: 2.5 },
        },
      },
      {
        id: 'answer',
        type: 'operation',
        operation: 'respond',
        dependencies: ['price'],
        config: {
          status: 201,
          headers: { 'x-quote': 'yes' },
          body: { quote: '{{ nodes.price.output.total }}', currency: 'EUR' },
        },
      },
      {
        id: 'later',
        type: 'operation',
        operation: 'delay',
        config: { seconds: 1 },
        dependencies: ['answer'],
      },
    ]);
    const answered = await deliver(hook, { qty: 4 });
    expect(answered.status, answered.text).toBe(201);
    expect(answered.headers.get('x-quote')).toBe('yes');
    expect(answered.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(answered.text)).toEqual({ quote: 10, currency: 'EUR' });
  });

  it('answers 200 with the run output when the run ends without a respond node', async () => {
    const hook = await flowWithHook({ response: 'sync' }, [
      {
        id: 'echo',
        type: 'operation',
        operation: 'set',
        dependencies: ['hook'],
        config: { values: { got: '{{ input.n }}' } },
      },
    ]);
    const answered = await deliver(hook, { n: 7 });
    expect(answered.status, answered.text).toBe(200);
    expect(JSON.parse(answered.text)).toMatchObject({ echo: { got: 7 } });
  });

  it('answers 500 problem+json with the error of a failed run', async () => {
    const hook = await flowWithHook({ response: 'sync' }, [
      {
        id: 'broken',
        type: 'operation',
        operation: 'fail',
        dependencies: ['hook'],
        config: { error: 'OutOfStock', cause: 'no item {{ input.sku }}' },
      },
    ]);
    const answered = await deliver(hook, { sku: 'A-1' });
    expect(answered.status, answered.text).toBe(500);
    expect(answered.headers.get('content-type')).toBe('application/problem+json');
    const problem = JSON.parse(answered.text);
    expect(problem).toMatchObject({ status: 500, title: 'The run failed', error: { error: 'OutOfStock' } });
    expect(problem.detail).toContain('OutOfStock');
    expect(problem.executionId).toEqual(expect.any(String));
  });

  it('answers 202 { executionId } when the run is still going after timeoutSeconds', async () => {
    const hook = await flowWithHook({ response: 'sync', timeoutSeconds: 1 }, [
      { id: 'slow', type: 'operation', operation: 'delay', config: { seconds: 30 }, dependencies: ['hook'] },
    ]);
    const answered = await deliver(hook, {});
    expect(answered.status, answered.text).toBe(202);
    const body = JSON.parse(answered.text);
    expect(body.executionId).toEqual(expect.any(String));
    const execution = await call('GET', `/executions/${body.executionId}`);
    expect(execution.body.status).toBe('RUNNING');
  });

  it('a webhook without response: "sync" still answers 202 at once', async () => {
    const hook = await flowWithHook({}, [
      { id: 'slow', type: 'operation', operation: 'delay', config: { seconds: 30 }, dependencies: ['hook'] },
    ]);
    const answered = await deliver(hook, {});
    expect(answered.status).toBe(202);
  });

  it('timeoutSeconds over 29 is a validation error naming the trigger config', async () => {
    const created = await call('POST', '/flows', {
      name: 'too-slow-hook',
      nodes: [
        { id: 'hook', type: 'trigger', trigger: 'webhook', config: { response: 'sync', timeoutSeconds: 30 } },
      ],
    });
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toContain('/nodes/0/config/timeoutSeconds');
  });
});
