import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFlow, startTestApi, type TestApi } from './local-api.ts';

describe('HTTP API end to end on the local server', () => {
  let api: TestApi;
  let key: string;
  let flowId: string;

  beforeAll(async () => {
    api = await startTestApi();
    const created = await api.request('POST', '/api/v1/keys', {
      body: { name: 'ci', scopes: ['flows:read', 'flows:write', 'executions:start', 'executions:read'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      tenant: 'default',
      scopes: expect.any(Array),
      keyId: expect.any(String),
    });
    expect(created.body.key).toMatch(/^ffk_/);
    key = created.body.key;
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('serves health and the OpenAPI document without a key, with a request id', async () => {
    const health = await api.request('GET', '/api/v1/health', { key: null });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers.get('x-request-id')).toBeTruthy();
    const doc = await api.request('GET', '/api/v1/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
  });

  it('creates a flow (201 with the stored flow) and reads it with its version as ETag', async () => {
    const created = await api.request('POST', '/api/v1/flows', { key, body: logFlow('greeter') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, definition: { name: 'greeter' } });
    expect(created.body.triggers).toEqual([{ id: 'start', type: 'manual', config: {} }]);
    flowId = created.body.flowId;
    const read = await api.request('GET', `/api/v1/flows/${flowId}`, { key });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
    expect(read.body).toMatchObject({ flowId, version: 1 });
  });

  it('refuses an invalid definition with problem+json naming the JSON pointer', async () => {
    const bad = await api.request('POST', '/api/v1/flows', {
      key,
      body: {
        name: 'bad',
        nodes: [{ id: 'a', type: 'action', action: 'log', config: {}, dependencies: ['ghost'] }],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body).toMatchObject({ status: 400, title: expect.any(String), instance: '/api/v1/flows' });
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain('/nodes/0/dependencies/0');
    expect(bad.body.requestId).toBe(bad.headers.get('x-request-id'));
  });

  it('updates with If-Match: missing → 428, two racing PUTs from one version → one 200 and one 412', async () => {
    const missing = await api.request('PUT', `/api/v1/flows/${flowId}`, { key, body: logFlow('greeter v2') });
    expect(missing.status).toBe(428);
    const race = await Promise.all(
      ['a', 'b'].map((suffix) =>
        api.request('PUT', `/api/v1/flows/${flowId}`, {
          key,
          body: logFlow(`greeter ${suffix}`, 3),
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    expect(race.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = race.find((r) => r.status === 200);
    expect(winner?.body.version).toBe(2);
    expect(winner?.headers.get('etag')).toBe('"2"');
    const loser = race.find((r) => r.status === 412);
    expect(loser?.body.status).toBe(412);
    const stale = await api.request('PUT', `/api/v1/flows/${flowId}`, {
      key,
      body: logFlow('late'),
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
  });

  it('executes (202), dedupes by Idempotency-Key, and reports per-node results when SUCCEEDED', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      key,
      body: { input: { who: 'ada' } },
      headers,
    });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ executionId: expect.any(String), status: 'RUNNING' });
    const again = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      key,
      body: { input: { who: 'ada' } },
      headers,
    });
    expect(again.body.executionId).toBe(first.body.executionId);

    const done = await api.waitForExecution(first.body.executionId, key);
    expect(done).toMatchObject({
      executionId: first.body.executionId,
      flowId,
      version: 2,
      status: 'SUCCEEDED',
      trigger: { id: null, type: 'api' },
      input: { who: 'ada' },
    });
    expect(done.finishedAt).toBeDefined();
    expect(Object.keys(done.nodes).sort()).toEqual(['log1', 'log2', 'log3', 'start']);
    expect(done.nodes.log3).toMatchObject({
      status: 'succeeded',
      output: { message: 'step 3 for ada' },
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
  });

  it('starts a flow named in the body with POST /flows/execute, pinned to a version', async () => {
    const started = await api.request('POST', '/api/v1/flows/execute', {
      key,
      body: { flowId, input: { who: 'v1' }, version: 1 },
    });
    expect(started.status).toBe(202);
    const done = await api.waitForExecution(started.body.executionId, key);
    expect(done).toMatchObject({ status: 'SUCCEEDED', version: 1 });
    expect(Object.keys(done.nodes)).not.toContain('log3');
  });

  it('pages versions and executions with limit=1 and a cursor', async () => {
    const first = await api.request('GET', `/api/v1/flows/${flowId}/versions?limit=1`, { key });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0].version).toBe(2);
    const second = await api.request(
      'GET',
      `/api/v1/flows/${flowId}/versions?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      { key },
    );
    expect(second.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(second.body.nextCursor).toBeUndefined();

    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const query = cursor ? `limit=1&cursor=${encodeURIComponent(cursor)}` : 'limit=1';
      const page = await api.request('GET', `/api/v1/flows/${flowId}/executions?${query}`, { key });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      for (const item of page.body.items) seen.add(item.executionId);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(2);

    const flows = await api.request('GET', '/api/v1/flows?limit=1', { key });
    expect(flows.body.items[0]).toMatchObject({ flowId, version: 2 });
    const badCursor = await api.request('GET', '/api/v1/flows?cursor=nonsense', { key });
    expect(badCursor.status).toBe(400);
  });

  it('stops a long-running execution', async () => {
    const slow = await api.request('POST', '/api/v1/flows', {
      key,
      body: {
        name: 'slow',
        nodes: [
          { id: 'wait', type: 'operation', operation: 'delay', config: { seconds: 3600 } },
          { id: 'after', type: 'action', action: 'log', config: { message: 'late' }, dependencies: ['wait'] },
        ],
      },
    });
    expect(slow.status).toBe(201);
    const started = await api.request('POST', `/api/v1/flows/${slow.body.flowId}/execute`, { key, body: {} });
    expect(started.status).toBe(202);
    const stopped = await api.request('POST', `/api/v1/executions/${started.body.executionId}/stop`, { key });
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe('ABORTED');
    const read = await api.request('GET', `/api/v1/executions/${started.body.executionId}`, { key });
    expect(read.body.status).toBe('ABORTED');
    expect(read.body.nodes.after?.status).not.toBe('succeeded');
    const again = await api.request('POST', `/api/v1/executions/${started.body.executionId}/stop`, { key });
    expect(again.status).toBe(409);
  });

  it('redrives a failed execution: the failed node runs again, the succeeded one is kept', async () => {
    let calls = 0;
    const target = createServer((_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 400 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ call: calls }));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (target.address() as AddressInfo).port;
      const failing = await api.request('POST', '/api/v1/flows', {
        key,
        body: {
          name: 'flaky',
          // Redrive exists for Standard executions only (an Express one answers 409).
          stateMachineType: 'STANDARD',
          nodes: [
            { id: 'first', type: 'action', action: 'log', config: { message: 'before' } },
            {
              id: 'call',
              type: 'action',
              action: 'http',
              config: { method: 'GET', url: `http://127.0.0.1:${port}/status` },
              retry: { strategy: 'fixed', maxAttempts: 1 },
              dependencies: ['first'],
            },
          ],
        },
      });
      expect(failing.status).toBe(201);
      const started = await api.request('POST', `/api/v1/flows/${failing.body.flowId}/execute`, {
        key,
        body: {},
      });
      const failed = await api.waitForExecution(started.body.executionId, key);
      expect(failed.status).toBe('FAILED');
      expect(failed.nodes.first.status).toBe('succeeded');
      expect(failed.nodes.call).toMatchObject({ status: 'failed', error: { error: expect.any(String) } });
      expect(failed.error).toMatchObject({ error: expect.any(String) });

      const redriven = await api.request('POST', `/api/v1/executions/${started.body.executionId}/redrive`, {
        key,
      });
      expect(redriven.status).toBe(202);
      expect(redriven.body).toEqual({ executionId: started.body.executionId, status: 'RUNNING' });
      const after = await api.waitForExecution(started.body.executionId, key);
      expect(after.status).toBe('SUCCEEDED');
      expect(after.nodes.call).toMatchObject({
        status: 'succeeded',
        output: { status: 200, body: { call: 2 } },
      });
      expect(calls).toBe(2);
    } finally {
      target.close();
    }

    const succeeded = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      key,
      body: { input: { who: 'x' } },
    });
    await api.waitForExecution(succeeded.body.executionId, key);
    const refused = await api.request('POST', `/api/v1/executions/${succeeded.body.executionId}/redrive`, {
      key,
    });
    expect(refused.status).toBe(409);
  });

  it('runs the local actions: email into the outbox under the data dir, queue to the local SQS endpoint', async () => {
    // A user's queue on the local endpoint (FlowForge's own flowforge-* queues are refused to flows).
    const sqs = new SQSClient({
      endpoint: api.server.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sqs.send(new CreateQueueCommand({ QueueName: 'flows-orders' }));
    sqs.destroy();
    const flow = await api.request('POST', '/api/v1/flows', {
      key,
      body: {
        name: 'notify',
        nodes: [
          {
            id: 'mail',
            type: 'action',
            action: 'email',
            config: { to: 'ops@example.com', subject: 'Order {{ input.id }}', text: 'shipped' },
          },
          {
            id: 'enqueue',
            type: 'action',
            action: 'queue',
            config: { queue: 'flows-orders', body: { order: '{{ input.id }}' } },
          },
        ],
      },
    });
    expect(flow.status).toBe(201);
    const run = await api.request('POST', `/api/v1/flows/${flow.body.flowId}/execute`, {
      key,
      body: { input: { id: 'A7' } },
    });
    const done = await api.waitForExecution(run.body.executionId, key);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.nodes.mail.output).toEqual({ messageId: expect.any(String) });
    expect(done.nodes.enqueue.output).toEqual({ messageId: expect.any(String) });
    const outbox = await readdir(join(api.dataDir, 'outbox'));
    expect(outbox.length).toBeGreaterThan(0);
  });

  it('answers 401 without a key, 403 without the scope, 404/405 for unknown routes, 400/413 for bad bodies', async () => {
    const noKey = await api.request('GET', '/api/v1/flows', { key: null });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('content-type')).toContain('application/problem+json');
    const badKey = await api.request('GET', '/api/v1/flows', { key: 'ffk_not_a_real_key_at_all' });
    expect(badKey.status).toBe(401);

    const reader = await api.request('POST', '/api/v1/keys', {
      body: { name: 'reader', scopes: ['flows:read'] },
    });
    const forbidden = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      key: reader.body.key,
      body: {},
    });
    expect(forbidden.status).toBe(403);
    expect((await api.request('GET', '/api/v1/audit', { key: reader.body.key })).status).toBe(403);

    expect((await api.request('GET', '/api/v1/nothing-here', { key })).status).toBe(404);
    const wrongMethod = await api.request('PATCH', `/api/v1/flows/${flowId}`, { key });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');

    const badJson = await api.request('POST', '/api/v1/flows', {
      key,
      rawBody: '{"name": "x",\n "nodes": [}',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.detail).toMatch(/line 2, column 12/);
    const huge = await api.request('POST', '/api/v1/flows', {
      key,
      rawBody: `"${'x'.repeat(1024 * 1024 + 10)}"`,
    });
    expect(huge.status).toBe(413);

    const revoked = await api.request('DELETE', `/api/v1/keys/${reader.body.keyId}`);
    expect(revoked.status).toBe(204);
    expect((await api.request('GET', '/api/v1/flows', { key: reader.body.key })).status).toBe(401);
  });

  it('records every write in the audit log (who, what, when, from where)', async () => {
    const audit = await api.request('GET', '/api/v1/audit?limit=100');
    expect(audit.status).toBe(200);
    const actions = audit.body.items.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'key.create',
        'flow.create',
        'flow.update',
        'execution.start',
        'execution.stop',
        'key.revoke',
      ]),
    );
    expect(audit.body.items[0]).toMatchObject({
      actor: expect.any(String),
      at: expect.any(String),
      sourceIp: expect.any(String),
    });
  });

  it('deletes a flow: 204, then 404 for it while its executions stay readable', async () => {
    const temp = await api.request('POST', '/api/v1/flows', { key, body: logFlow('temp', 1) });
    const run = await api.request('POST', `/api/v1/flows/${temp.body.flowId}/execute`, { key, body: {} });
    await api.waitForExecution(run.body.executionId, key);
    expect((await api.request('DELETE', `/api/v1/flows/${temp.body.flowId}`, { key })).status).toBe(204);
    expect((await api.request('GET', `/api/v1/flows/${temp.body.flowId}`, { key })).status).toBe(404);
    expect(
      (await api.request('POST', `/api/v1/flows/${temp.body.flowId}/execute`, { key, body: {} })).status,
    ).toBe(404);
    expect((await api.request('GET', `/api/v1/executions/${run.body.executionId}`, { key })).status).toBe(
      200,
    );
  });
});
