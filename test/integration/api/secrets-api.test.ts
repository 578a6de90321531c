import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './local-api.ts';

/**
 * Tenant secrets through `npm start`'s API (DESIGN.md §2.1): write-only PUT, a listing without
 * values, DELETE, name validation, tenant isolation, and redaction of values a flow echoes.
 */
describe('secrets API and {{ secret:<name> }} in runs', () => {
  let api: TestApi;
  const keys: Record<'acme' | 'globex', string> = {} as never;
  const ACME_VALUE = 'acme-s3cr3t-VALUE-1';
  const GLOBEX_VALUE = 'globex-s3cr3t-VALUE-2';

  beforeAll(async () => {
    api = await startTestApi();
    for (const tenant of ['acme', 'globex'] as const) {
      const key = await api.request('POST', '/api/v1/keys', {
        body: { name: `${tenant} admin`, scopes: ['admin'], tenant },
      });
      expect(key.status).toBe(201);
      keys[tenant] = key.body.key;
    }
  });
  afterAll(async () => {
    await api?.stop();
  });

  const run = async (key: string, definition: unknown) => {
    const flow = await api.request('POST', '/api/v1/flows', { key, body: definition });
    expect(flow.status).toBe(201);
    const started = await api.request('POST', `/api/v1/flows/${flow.body.flowId}/execute`, {
      key,
      body: { input: {} },
    });
    expect(started.status).toBe(202);
    return api.waitForExecution(started.body.executionId, key);
  };

  it('PUT creates (201) then replaces (200), never answering the value; GET lists names only', async () => {
    const created = await api.request('PUT', '/api/v1/secrets/api-token', {
      key: keys.acme,
      body: { value: 'first' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'api-token', updatedAt: expect.any(String) });
    const replaced = await api.request('PUT', '/api/v1/secrets/api-token', {
      key: keys.acme,
      body: { value: ACME_VALUE },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.text).not.toContain(ACME_VALUE);
    await api.request('PUT', '/api/v1/secrets/b.other', { key: keys.acme, body: { value: 'other-value' } });

    const listed = await api.request('GET', '/api/v1/secrets', { key: keys.acme });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { name: string }) => item.name)).toEqual(['api-token', 'b.other']);
    expect(Object.keys(listed.body.items[0]).sort()).toEqual(['name', 'updatedAt']);
    expect(listed.text).not.toContain(ACME_VALUE);

    const page = await api.request('GET', '/api/v1/secrets?limit=1', { key: keys.acme });
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
  });

  it('refuses a bad name or value with a problem naming /name or /value', async () => {
    const badName = await api.request('PUT', '/api/v1/secrets/has%20space', {
      key: keys.acme,
      body: { value: 'x' },
    });
    expect(badName.status).toBe(400);
    expect(badName.headers.get('content-type')).toContain('application/problem+json');
    expect(badName.body.errors).toEqual([{ path: '/name', message: expect.stringContaining('secret name') }]);
    const tooBig = await api.request('PUT', '/api/v1/secrets/big', {
      key: keys.acme,
      body: { value: 'x'.repeat(4097) },
    });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.errors[0].path).toBe('/value');
    const noValue = await api.request('PUT', '/api/v1/secrets/empty', { key: keys.acme, body: { other: 1 } });
    expect(noValue.status).toBe(400);
  });

  it('keeps tenants apart: globex neither lists nor deletes acme’s secrets', async () => {
    await api.request('PUT', '/api/v1/secrets/api-token', {
      key: keys.globex,
      body: { value: GLOBEX_VALUE },
    });
    const listed = await api.request('GET', '/api/v1/secrets', { key: keys.globex });
    expect(listed.body.items.map((item: { name: string }) => item.name)).toEqual(['api-token']);
    expect((await api.request('DELETE', '/api/v1/secrets/b.other', { key: keys.globex })).status).toBe(404);
  });

  it('needs the admin scope', async () => {
    const reader = await api.request('POST', '/api/v1/keys', {
      key: keys.acme,
      body: { name: 'reader', scopes: ['flows:read', 'executions:read'] },
    });
    expect((await api.request('GET', '/api/v1/secrets', { key: reader.body.key })).status).toBe(403);
    expect(
      (await api.request('PUT', '/api/v1/secrets/x', { key: reader.body.key, body: { value: 'v' } })).status,
    ).toBe(403);
  });

  it('a flow echoing a secret into a log, a transform and an error never shows the value in GET /executions', async () => {
    const execution = await run(keys.acme, {
      name: 'echo-secret',
      nodes: [
        { id: 'start', type: 'trigger', trigger: 'manual' },
        {
          id: 'say',
          type: 'action',
          action: 'log',
          config: { message: 'token={{ secret:api-token }}' },
          dependencies: ['start'],
        },
        {
          id: 'shape',
          type: 'action',
          action: 'transform',
          config: { expression: '{ "token": "{{ secret:api-token }}" }' },
          dependencies: ['say'],
        },
        {
          id: 'boom',
          type: 'action',
          action: 'transform',
          config: { expression: '$error("failing with {{ secret:api-token }}")' },
          dependencies: ['shape'],
        },
      ],
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.nodes.say.output).toEqual({ message: 'token=***' });
    expect(execution.nodes.shape.output).toEqual({ token: '***' });
    expect(execution.nodes.boom.status).toBe('failed');
    expect(JSON.stringify(execution)).not.toContain(ACME_VALUE);
  });

  it('resolves from the run’s tenant only: globex’s run reads globex’s value, and an old-form path into acme fails', async () => {
    const own = await run(keys.globex, {
      name: 'own-secret',
      nodes: [{ id: 'say', type: 'action', action: 'log', config: { message: '{{ secret:api-token }}' } }],
    });
    expect(own.status).toBe('SUCCEEDED');
    expect(own.nodes.say.output).toEqual({ message: '***' });

    const cross = await run(keys.globex, {
      name: 'cross-tenant',
      nodes: [
        {
          id: 'steal',
          type: 'action',
          action: 'log',
          config: { message: '{{ secret:ssm:/flowforge/local/tenants/acme/secrets/api-token }}' },
        },
      ],
    });
    expect(cross.status).toBe('FAILED');
    expect(cross.nodes.steal.error.error).toBe('SecretUnavailable');
    expect(JSON.stringify(cross)).not.toContain(ACME_VALUE);
  });

  it('DELETE removes (204, then 404) and a run that needs the secret then fails SecretUnavailable', async () => {
    expect((await api.request('DELETE', '/api/v1/secrets/b.other', { key: keys.acme })).status).toBe(204);
    expect((await api.request('DELETE', '/api/v1/secrets/b.other', { key: keys.acme })).status).toBe(404);
    const gone = await run(keys.acme, {
      name: 'gone-secret',
      nodes: [{ id: 'say', type: 'action', action: 'log', config: { message: '{{ secret:b.other }}' } }],
    });
    expect(gone.status).toBe('FAILED');
    expect(gone.nodes.say.error.error).toBe('SecretUnavailable');
  });

  it('is listed in the OpenAPI document', async () => {
    const doc = await api.request('GET', '/api/v1/openapi.json', { key: null });
    expect(Object.keys(doc.body.paths['/api/v1/secrets/{name}']).sort()).toEqual(['delete', 'put']);
    expect(doc.body.paths['/api/v1/secrets'].get).toBeDefined();
  });
});
