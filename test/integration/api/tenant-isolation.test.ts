import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFlow, startTestApi, type TestApi } from './local-api.ts';

/**
 * Two tenants, each with an admin key: every route called with the other tenant's ids answers
 * 404 (never 403) and no body mentions the other tenant's data.
 */
describe('tenant isolation', () => {
  let api: TestApi;
  const tenants: Record<
    'acme' | 'globex',
    { key: string; keyId: string; flowId: string; executionId: string }
  > = {} as never;

  beforeAll(async () => {
    api = await startTestApi();
    for (const tenant of ['acme', 'globex'] as const) {
      const key = await api.request('POST', '/api/v1/keys', {
        body: { name: `${tenant} admin`, scopes: ['admin'], tenant },
      });
      expect(key.status).toBe(201);
      expect(key.body.tenant).toBe(tenant);
      const flow = await api.request('POST', '/api/v1/flows', {
        key: key.body.key,
        body: logFlow(`${tenant}-secret-flow`, 1),
      });
      expect(flow.status).toBe(201);
      const run = await api.request('POST', `/api/v1/flows/${flow.body.flowId}/execute`, {
        key: key.body.key,
        body: { input: { who: `${tenant}-customer` } },
      });
      expect(run.status).toBe(202);
      await api.waitForExecution(run.body.executionId, key.body.key);
      tenants[tenant] = {
        key: key.body.key,
        keyId: key.body.keyId,
        flowId: flow.body.flowId,
        executionId: run.body.executionId,
      };
    }
  });
  afterAll(async () => {
    await api?.stop();
  });

  const foreignRoutes = (other: (typeof tenants)['acme']) => [
    ['GET', `/api/v1/flows/${other.flowId}`],
    ['PUT', `/api/v1/flows/${other.flowId}`],
    ['DELETE', `/api/v1/flows/${other.flowId}`],
    ['GET', `/api/v1/flows/${other.flowId}/versions`],
    ['GET', `/api/v1/flows/${other.flowId}/triggers`],
    ['POST', `/api/v1/flows/${other.flowId}/execute`],
    ['POST', '/api/v1/flows/execute'],
    ['GET', `/api/v1/flows/${other.flowId}/executions`],
    ['GET', `/api/v1/executions/${other.executionId}`],
    ['POST', `/api/v1/executions/${other.executionId}/stop`],
    ['POST', `/api/v1/executions/${other.executionId}/redrive`],
    ['DELETE', `/api/v1/keys/${other.keyId}`],
  ];

  it("answers 404 for every route with the other tenant's ids and leaks nothing", async () => {
    for (const [self, other] of [
      ['acme', 'globex'],
      ['globex', 'acme'],
    ] as const) {
      const mine = tenants[self];
      const theirs = tenants[other];
      for (const [method, path] of foreignRoutes(theirs)) {
        const body =
          path === '/api/v1/flows/execute'
            ? { flowId: theirs.flowId, input: {} }
            : method === 'PUT'
              ? logFlow('takeover', 1)
              : method === 'POST'
                ? { input: {} }
                : undefined;
        const response = await api.request(method as string, path as string, {
          key: mine.key,
          body,
          headers: method === 'PUT' ? { 'if-match': '"1"' } : {},
        });
        expect([method, path, response.status]).toEqual([method, path, 404]);
        expect(response.text).not.toContain(`${other}-secret-flow`);
        expect(response.text).not.toContain(`${other}-customer`);
      }
      const listed = await api.request('GET', '/api/v1/flows', { key: mine.key });
      expect(listed.body.items.map((f: { flowId: string }) => f.flowId)).toEqual([mine.flowId]);
      const runs = await api.request('GET', '/api/v1/executions', { key: mine.key });
      expect(runs.body.items.map((e: { executionId: string }) => e.executionId)).toEqual([mine.executionId]);
      const audit = await api.request('GET', '/api/v1/audit?limit=100', { key: mine.key });
      expect(audit.text).not.toContain(theirs.flowId);
    }
    // The other tenant's resources are untouched.
    for (const tenant of Object.values(tenants)) {
      const flow = await api.request('GET', `/api/v1/flows/${tenant.flowId}`, { key: tenant.key });
      expect(flow.status).toBe(200);
      expect(flow.body.version).toBe(1);
      const key = await api.request('GET', '/api/v1/flows', { key: tenant.key });
      expect(key.status).toBe(200);
    }
  });

  it('lets only admins of the default tenant create keys for another tenant', async () => {
    const refused = await api.request('POST', '/api/v1/keys', {
      key: tenants.acme.key,
      body: { name: 'x', scopes: ['admin'], tenant: 'globex' },
    });
    expect(refused.status).toBe(403);
    const own = await api.request('POST', '/api/v1/keys', {
      key: tenants.acme.key,
      body: { name: 'reader', scopes: ['flows:read'] },
    });
    expect(own.status).toBe(201);
    expect(own.body.tenant).toBe('acme');
  });

  it('answers 401 without a key and 403 for a key without the scope', async () => {
    const reader = await api.request('POST', '/api/v1/keys', {
      key: tenants.acme.key,
      body: { name: 'reader2', scopes: ['flows:read'] },
    });
    const checks: Array<[string, string, number]> = [
      ['GET', '/api/v1/flows', 200],
      ['POST', '/api/v1/flows', 403],
      ['GET', `/api/v1/flows/${tenants.acme.flowId}/executions`, 403],
      ['POST', `/api/v1/flows/${tenants.acme.flowId}/execute`, 403],
      ['GET', `/api/v1/executions/${tenants.acme.executionId}`, 403],
      ['POST', '/api/v1/keys', 403],
      ['GET', '/api/v1/audit', 403],
    ];
    for (const [method, path, status] of checks) {
      const response = await api.request(method, path, {
        key: reader.body.key,
        body: method === 'POST' ? {} : undefined,
      });
      expect([method, path, response.status]).toEqual([method, path, status]);
      const anonymous = await api.request(method, path, {
        key: null,
        body: method === 'POST' ? {} : undefined,
      });
      expect([method, path, anonymous.status]).toEqual([method, path, 401]);
    }
  });
});
