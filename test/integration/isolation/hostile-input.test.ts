import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFlow, startTestApi, type TestApi } from '../api/local-api.ts';

/** Issue 11, hostile JSON and validation gaps: each the request an attacker sends and what it gets. */
describe('hostile input through the API', () => {
  let api: TestApi;
  let flowId: string;
  beforeAll(async () => {
    api = await startTestApi();
    flowId = (await api.request('POST', '/api/v1/flows', { body: logFlow('target', 1) })).body.flowId;
  });
  afterAll(() => api.stop());

  const execute = (rawBody: string) => api.request('POST', `/api/v1/flows/${flowId}/execute`, { rawBody });
  const executions = async () =>
    (await api.request('GET', `/api/v1/flows/${flowId}/executions`)).body.items.length as number;

  it('input nested 2,500 or 5,000 levels answers 400 and starts nothing (no RUNNING forever, no 500)', async () => {
    const before = await executions();
    for (const depth of [2500, 5000, 20_000]) {
      const response = await execute(`{"input":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(response.status, String(depth)).toBe(400);
      expect(response.body.detail).toContain('nested deeper than 128');
    }
    expect(await executions()).toBe(before);
  });

  it('1e309 is refused with its pointer, never stored as null', async () => {
    const response = await execute('{"input":{"amount":1e309}}');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { path: '/input/amount', message: expect.stringContaining('outside') },
    ]);
  });

  it('a __proto__ key is refused, not silently dropped from a set value', async () => {
    const response = await api.request('POST', '/api/v1/flows', {
      rawBody: JSON.stringify({
        name: 'proto',
        nodes: [{ id: 'v', type: 'operation', operation: 'set', config: { value: { ok: 1 } } }],
      }).replace('"ok":1', '"ok":1,"__proto__":{"admin":true}'),
    });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('/nodes/0/config/value/__proto__');
  });

  it('__proto__, constructor and prototype are refused as node ids', async () => {
    for (const id of ['__proto__', 'constructor', 'prototype']) {
      const response = await api.request('POST', '/api/v1/flows', {
        body: { name: 'ids', nodes: [{ id, type: 'trigger', trigger: 'manual' }] },
      });
      expect(response.status, id).toBe(400);
      expect(response.body.errors).toContainEqual({
        path: '/nodes/0/id',
        message: expect.stringContaining('reserved'),
      });
    }
  });

  it('a schedule trigger without config is a validation error at its pointer, not an internal error', async () => {
    const response = await api.request('POST', '/api/v1/flows', {
      body: { name: 'no config', nodes: [{ id: 'tick', type: 'trigger', trigger: 'schedule' }] },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).not.toContain('internal');
    expect(response.body.errors[0]).toEqual({
      path: '/nodes/0/config',
      message: expect.stringContaining('a schedule needs one of "cron", "rate" or "at"'),
    });
  });

  it('a JSONata syntax error is found at save time, with its path and position', async () => {
    const response = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'bad jsonata',
        nodes: [{ id: 'calc', type: 'action', action: 'transform', config: { expression: 'input.items[' } }],
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual({
      path: '/nodes/0/config/expression',
      message: expect.stringMatching(/does not parse at position \d+/),
    });
  });

  it('an inputSchema that is not a JSON Schema is refused at save time; a real one checks every keyword', async () => {
    const bad = await api.request('POST', '/api/v1/flows', {
      body: { ...logFlow('bad schema', 1), inputSchema: { type: 'strnig', required: 'who' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['/inputSchema/type', '/inputSchema/required']),
    );
    const good = await api.request('POST', '/api/v1/flows', {
      body: {
        ...logFlow('good schema', 1),
        inputSchema: {
          type: 'object',
          properties: {
            who: { const: { first: 'Ada', last: 'L' } },
            n: { oneOf: [{ type: 'string' }, { multipleOf: 5 }] },
          },
        },
      },
    });
    expect(good.status).toBe(201);
    const run = (input: unknown) =>
      api.request('POST', `/api/v1/flows/${good.body.flowId}/execute`, { body: { input } });
    expect((await run({ who: { last: 'L', first: 'Ada' }, n: 10 })).status).toBe(202);
    const refused = await run({ who: { first: 'Ada', last: 'L' }, n: 7 });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toBe('/input/n');
  });
});
