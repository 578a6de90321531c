import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../../lib/local/local-log.ts';
import { startLocalServer } from '../../../lib/local/server.ts';
import { logFlow, startTestApi, type TestApi } from '../api/local-api.ts';
import { apiCaller } from '../local/local-process.ts';

/** DESIGN.md §3 HTTP conventions and the key-revocation bypass of issue 11, each as the request an attacker (or a sloppy client) sends. */
describe('HTTP conventions (issue 11)', () => {
  let api: TestApi;
  let flowId: string;
  beforeAll(async () => {
    api = await startTestApi();
    const created = await api.request('POST', '/api/v1/flows', { body: logFlow('conventions') });
    expect(created.status).toBe(201);
    flowId = created.body.flowId;
  });
  afterAll(() => api.stop());

  it('a stale If-Match answers 412 (not 409); If-Match: * matches any version', async () => {
    const first = await api.request('PUT', `/api/v1/flows/${flowId}`, {
      body: logFlow('conventions', 3),
      headers: { 'if-match': '"1"' },
    });
    expect(first.status).toBe(200);
    const stale = await api.request('PUT', `/api/v1/flows/${flowId}`, {
      body: logFlow('conventions', 4),
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.detail).toContain('version 2');
    const any = await api.request('PUT', `/api/v1/flows/${flowId}`, {
      body: logFlow('conventions', 2),
      headers: { 'if-match': '*' },
    });
    expect(any.status).toBe(200);
    expect(any.body.version).toBe(3);
  });

  it('concurrent PUTs with the same If-Match: one wins, and the version GET shows is the one that runs', async () => {
    const created = await api.request('POST', '/api/v1/flows', { body: logFlow('race', 1) });
    const id = created.body.flowId;
    const answers = await Promise.all(
      [2, 3, 4, 5, 6].map((count) =>
        api.request('PUT', `/api/v1/flows/${id}`, {
          body: logFlow('race', count),
          headers: { 'if-match': '1' },
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 412)).toHaveLength(4);
    const shown = await api.request('GET', `/api/v1/flows/${id}`);
    const nodeCount = shown.body.definition.nodes.length - 1;
    const started = await api.request('POST', `/api/v1/flows/${id}/execute`, {
      body: { input: { who: 'x' } },
    });
    const done = await api.waitForExecution(started.body.executionId, api.adminKey);
    expect(done.status).toBe('SUCCEEDED');
    expect(Object.keys(done.nodes).filter((n) => n.startsWith('log'))).toHaveLength(nodeCount);
  });

  it('HEAD works wherever GET does, without a body', async () => {
    const get = await api.request('GET', `/api/v1/flows/${flowId}`);
    const head = await api.request('HEAD', `/api/v1/flows/${flowId}`);
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(get.text)));
    expect((await api.request('HEAD', '/api/v1/health', { key: null })).status).toBe(200);
    expect((await api.request('HEAD', '/api/v1/flows/nope')).status).toBe(404);
  });

  it('a body that is not application/json answers 415', async () => {
    const plain = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      rawBody: '{"input":{}}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(415);
    const form = await api.request('POST', '/api/v1/flows', {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const charset = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      rawBody: '{"input":{}}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(charset.status).toBe(202);
  });

  it('unknown keys in the execute body answer 400 at their pointer (the input is not guessed)', async () => {
    const attack = await api.request('POST', `/api/v1/flows/${flowId}/execute`, { body: { name: 'Ada' } });
    expect(attack.status).toBe(400);
    expect(attack.body.errors).toEqual([{ path: '/name', message: 'unknown key' }]);
    const byId = await api.request('POST', '/api/v1/flows/execute', {
      body: { flowId, input: {}, extra: 1 },
    });
    expect(byId.status).toBe(400);
    expect(byId.body.errors[0].path).toBe('/extra');
  });

  it('an Idempotency-Key reused with another body answers 422; with the same body (any key order) the same run', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      body: { input: { who: 'a', n: 1 } },
      headers,
    });
    expect(first.status).toBe(202);
    const again = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      rawBody: '{"input":{"n":1,"who":"a"}}',
      headers: { ...headers, 'content-type': 'application/json' },
    });
    expect(again.status).toBe(202);
    expect(again.body.executionId).toBe(first.body.executionId);
    const other = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      body: { input: { who: 'b', n: 1 } },
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.body.detail).toContain('another request body');
  });

  it('an empty Idempotency-Key is not a key: two starts are two executions', async () => {
    const starts = await Promise.all(
      [1, 2].map(() =>
        api.request('POST', `/api/v1/flows/${flowId}/execute`, {
          body: { input: { who: 'x' } },
          headers: { 'idempotency-key': '' },
        }),
      ),
    );
    expect(starts.map((s) => s.status)).toEqual([202, 202]);
    expect(starts[0]?.body.executionId).not.toBe(starts[1]?.body.executionId);
  });

  it('paths with empty segments answer 404, never a route', async () => {
    for (const path of [
      '//api/v1/flows',
      '/api/v1//flows',
      `/api/v1/flows/${flowId}/`,
      '/api/v1/flows//execute',
    ]) {
      const response = await api.request('GET', path);
      expect(response.status, path).toBe(404);
    }
  });

  it('after concurrent PUTs and a restart, the version GET shows is still the one that runs', {
    timeout: 120_000,
  }, async () => {
    // Its own server on its own data dir: the restart must read everything back from disk.
    const raced = await startTestApi();
    const created = await raced.request('POST', '/api/v1/flows', { body: logFlow('race-restart', 1) });
    const id = created.body.flowId;
    await Promise.all(
      [2, 3, 4, 5, 6].map((count) =>
        raced.request('PUT', `/api/v1/flows/${id}`, {
          body: logFlow('race-restart', count),
          headers: { 'if-match': '1' },
        }),
      ),
    );
    await raced.server.stop();
    const again = await startLocalServer({
      port: 0,
      dataDir: raced.dataDir,
      sqsPort: 0,
      log: silentLog,
      timeScale: 0.001,
    });
    try {
      const call = async (method: string, path: string, body?: unknown) =>
        (await apiCaller(() => again.url, raced.adminKey)(method, path, body)).body;
      const shown = (await call('GET', `/api/v1/flows/${id}`)) as {
        version: number;
        definition: { nodes: unknown[] };
      };
      expect(shown.version).toBe(2);
      const started = (await call('POST', `/api/v1/flows/${id}/execute`, { input: { who: 'x' } })) as {
        executionId: string;
      };
      let done: { status: string; version: number; nodes: Record<string, unknown> } = {
        status: 'RUNNING',
        version: 0,
        nodes: {},
      };
      for (let i = 0; i < 300 && done.status === 'RUNNING'; i++) {
        done = (await call('GET', `/api/v1/executions/${started.executionId}`)) as typeof done;
        if (done.status === 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(done.status).toBe('SUCCEEDED');
      expect(done.version).toBe(shown.version);
      expect(Object.keys(done.nodes).filter((n) => n.startsWith('log'))).toHaveLength(
        shown.definition.nodes.length - 1,
      );
    } finally {
      await again.stop();
      await rm(raced.dataDir, { recursive: true, force: true });
    }
  });

  it('a revoked key stops working at once, whatever path form the revocation was sent to', async () => {
    const created = await api.request('POST', '/api/v1/keys', {
      body: { name: 'victim', scopes: ['flows:read'] },
    });
    const key = created.body.key;
    expect((await api.request('GET', '/api/v1/flows', { key })).status).toBe(200);
    // The attack of the issue: revoke through a path with an empty segment (answered 204 before).
    const sneaky = await api.request('DELETE', `//api/v1/keys/${created.body.keyId}`);
    expect(sneaky.status).toBe(404);
    expect((await api.request('GET', '/api/v1/flows', { key })).status).toBe(200);
    // The same key with another header spelling is cached under its own entry: both go.
    expect(
      (await api.request('GET', '/api/v1/flows', { key: null, headers: { authorization: `bearer ${key}` } }))
        .status,
    ).toBe(200);
    const revoked = await api.request('DELETE', `/api/v1/keys/${created.body.keyId}`);
    expect(revoked.status).toBe(204);
    expect((await api.request('GET', '/api/v1/flows', { key })).status).toBe(401);
    expect(
      (await api.request('GET', '/api/v1/flows', { key: null, headers: { authorization: `bearer ${key}` } }))
        .status,
    ).toBe(401);
  });
});
