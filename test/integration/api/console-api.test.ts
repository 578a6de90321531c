import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFlow, startTestApi, type TestApi } from './local-api.ts';

/** Parses a `text/event-stream` body into its events. */
const parseSse = (text: string) =>
  text
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data === undefined ? undefined : JSON.parse(data) };
    });

describe('the API the console reads (GET /keys, versions, filters, events)', () => {
  let api: TestApi;
  let flowId: string;
  let failingFlowId: string;
  let succeeded: string;
  let failed: string;

  beforeAll(async () => {
    api = await startTestApi();
    const created = await api.request('POST', '/api/v1/flows', { body: logFlow('console-ok', 2) });
    expect(created.status).toBe(201);
    flowId = created.body.flowId;
    const failing = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'console-fail',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'boom',
            type: 'operation',
            operation: 'fail',
            config: { error: 'Boom', cause: 'on purpose' },
            dependencies: ['start'],
          },
        ],
      },
    });
    expect(failing.status).toBe(201);
    failingFlowId = failing.body.flowId;
    const ok = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      body: { input: { who: 'a' } },
    });
    const bad = await api.request('POST', `/api/v1/flows/${failingFlowId}/execute`, { body: {} });
    succeeded = ok.body.executionId;
    failed = bad.body.executionId;
    await api.waitForExecution(succeeded, api.adminKey);
    await api.waitForExecution(failed, api.adminKey);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('filters executions by status, flow and trigger kind, on both listings', async () => {
    const byStatus = await api.request('GET', '/api/v1/executions?status=FAILED');
    expect(byStatus.status).toBe(200);
    expect(byStatus.body.items.map((e: { executionId: string }) => e.executionId)).toEqual([failed]);
    const several = await api.request('GET', '/api/v1/executions?status=FAILED,SUCCEEDED&limit=1');
    expect(several.body.items).toHaveLength(1);
    expect(several.body.nextCursor).toEqual(expect.any(String));
    const next = await api.request(
      'GET',
      `/api/v1/executions?status=FAILED,SUCCEEDED&limit=1&cursor=${several.body.nextCursor}`,
    );
    expect([several.body.items[0].executionId, next.body.items[0].executionId].sort()).toEqual(
      [succeeded, failed].sort(),
    );
    // A cursor is bound to the filter it was made under.
    const otherFilter = await api.request(
      'GET',
      `/api/v1/executions?status=FAILED&limit=1&cursor=${several.body.nextCursor}`,
    );
    expect(otherFilter.status).toBe(400);
    const byFlow = await api.request('GET', `/api/v1/executions?flowId=${flowId}`);
    expect(byFlow.body.items.map((e: { executionId: string }) => e.executionId)).toEqual([succeeded]);
    const byTrigger = await api.request('GET', '/api/v1/executions?trigger=webhook');
    expect(byTrigger.body.items).toEqual([]);
    const apiStarted = await api.request('GET', '/api/v1/executions?trigger=api');
    expect(apiStarted.body.items).toHaveLength(2);
    const flowFiltered = await api.request('GET', `/api/v1/flows/${flowId}/executions?status=FAILED`);
    expect(flowFiltered.status).toBe(200);
    expect(flowFiltered.body.items).toEqual([]);
    const flowSucceeded = await api.request('GET', `/api/v1/flows/${flowId}/executions?status=SUCCEEDED`);
    expect(flowSucceeded.body.items).toHaveLength(1);
  });

  it('refuses an unknown status with a problem naming the query field', async () => {
    const bad = await api.request('GET', '/api/v1/executions?status=DONE');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors[0].path).toMatch(/^\/query\/status/);
  });

  it('lists keys without the key, with when each was created and last used', async () => {
    const created = await api.request('POST', '/api/v1/keys', {
      body: { name: 'reader', scopes: ['flows:read'] },
    });
    expect(created.status).toBe(201);
    const unused = await api.request('GET', '/api/v1/keys');
    expect(unused.status).toBe(200);
    const reader = unused.body.items.find((k: { keyId: string }) => k.keyId === created.body.keyId);
    expect(reader).toMatchObject({ name: 'reader', tenant: 'default', scopes: ['flows:read'] });
    expect(reader.createdAt).toEqual(expect.any(String));
    expect(reader.lastUsedAt).toBeUndefined();
    expect(unused.text).not.toContain(created.body.key);
    expect(unused.text).not.toMatch(/ffk_/);
    await api.request('GET', '/api/v1/flows', { key: created.body.key });
    const used = await api.request('GET', '/api/v1/keys');
    const readerNow = used.body.items.find((k: { keyId: string }) => k.keyId === created.body.keyId);
    expect(readerNow.lastUsedAt).toEqual(expect.any(String));
    const forbidden = await api.request('GET', '/api/v1/keys', { key: created.body.key });
    expect(forbidden.status).toBe(403);
  });

  it('answers one version with its definition and compile report', async () => {
    const version = await api.request('GET', `/api/v1/flows/${flowId}/versions/1`);
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ flowId, version: 1, definition: { name: 'console-ok' } });
    expect(['STANDARD', 'EXPRESS']).toContain(version.body.report.stateMachineType);
    expect(version.body.report.states).toBeGreaterThan(1);
    expect(version.body.report.definitionBytes).toBeGreaterThan(0);
    const missing = await api.request('GET', `/api/v1/flows/${flowId}/versions/7`);
    expect(missing.status).toBe(404);
    const notNumber = await api.request('GET', `/api/v1/flows/${flowId}/versions/latest`);
    expect(notNumber.status).toBe(400);
    expect(notNumber.body.errors[0].path).toBe('/params/version');
  });

  it('streams node status changes and then the final status of a finished run', async () => {
    const response = await api.request('GET', `/api/v1/executions/${failed}/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(response.text);
    const nodeEvents = events.filter((e) => e.event === 'node');
    expect(nodeEvents.map((e) => e.data.nodeId).sort()).toEqual(['boom', 'start']);
    expect(nodeEvents.find((e) => e.data.nodeId === 'boom')?.data).toMatchObject({
      status: 'failed',
      error: { error: 'Boom' },
    });
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { executionId: failed, status: 'FAILED' } });
  });

  it('follows a running execution until it ends', async () => {
    const slow = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'console-slow',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          {
            id: 'wait',
            type: 'operation',
            operation: 'delay',
            config: { seconds: 800 },
            dependencies: ['start'],
          },
          { id: 'done', type: 'action', action: 'log', config: { message: 'done' }, dependencies: ['wait'] },
        ],
      },
    });
    const started = await api.request('POST', `/api/v1/flows/${slow.body.flowId}/execute`, { body: {} });
    const response = await api.request('GET', `/api/v1/executions/${started.body.executionId}/events`);
    const events = parseSse(response.text);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'SUCCEEDED' } });
    const done = events.filter((e) => e.event === 'node' && e.data.nodeId === 'done');
    expect(done.at(-1)?.data.status).toBe('succeeded');
  });

  it("never streams another tenant's execution", async () => {
    const other = await api.request('POST', '/api/v1/keys', {
      body: { name: 'other', scopes: ['executions:read'], tenant: 'acme' },
    });
    const response = await api.request('GET', `/api/v1/executions/${succeeded}/events`, {
      key: other.body.key,
    });
    expect(response.status).toBe(404);
    const listing = await api.request('GET', `/api/v1/executions?flowId=${flowId}`, { key: other.body.key });
    expect(listing.body.items).toEqual([]);
  });

  it('checks a definition without saving it: errors at pointers, or the compile report', async () => {
    const bad = await api.request('POST', '/api/v1/flows/validate', {
      body: {
        name: 'x',
        nodes: [{ id: 'a', type: 'action', action: 'log', config: {}, dependencies: ['ghost'] }],
      },
    });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain('/nodes/0/dependencies/0');
    const good = await api.request('POST', '/api/v1/flows/validate', { body: logFlow('check-only') });
    expect(good.body).toMatchObject({ valid: true, errors: [], report: { states: expect.any(Number) } });
    const flows = await api.request('GET', '/api/v1/flows');
    expect(flows.body.items.map((f: { name: string }) => f.name)).not.toContain('check-only');
  });

  it('serves the web console at / with security headers, and nothing outside its folder', async () => {
    const page = await fetch(`${api.server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('FlowForge');
    const outside = await fetch(`${api.server.url}/..%2f..%2fpackage.json`);
    expect(outside.status).toBe(404);
    const apiStill = await fetch(`${api.server.url}/api/v1/health`);
    expect(await apiStill.json()).toEqual({ status: 'ok' });
  });

  it('lists the new routes in the OpenAPI document', async () => {
    const doc = await api.request('GET', '/api/v1/openapi.json', { key: null });
    const paths = doc.body.paths;
    expect(paths['/api/v1/keys'].get.operationId).toBe('listKeys');
    expect(paths['/api/v1/flows/{flowId}/versions/{version}'].get.operationId).toBe('getFlowVersion');
    expect(paths['/api/v1/executions/{executionId}/events'].get.operationId).toBe('executionEvents');
    const names = paths['/api/v1/executions'].get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['status', 'flowId', 'trigger', 'limit', 'cursor']));
  });
});
