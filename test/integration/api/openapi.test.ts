import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { routes } from '../../../functions/api/routes.ts';
import { logFlow, startTestApi, type TestApi } from './local-api.ts';

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  parameters: Array<{ name: string; in: string }>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

describe('OpenAPI document', () => {
  let api: TestApi;
  let doc: Document;

  beforeAll(async () => {
    api = await startTestApi();
    doc = (await api.request('GET', '/api/v1/openapi.json', { key: null })).body;
  });
  afterAll(async () => {
    await api?.stop();
  });

  /** Checks a real response against the schema the document gives for that operation and status. */
  const conforms = (path: string, method: string, status: number, body: unknown) => {
    const operation = doc.paths[path]?.[method.toLowerCase()];
    expect(operation, `${method} ${path} is documented`).toBeDefined();
    const content = operation?.responses[String(status)]?.content;
    const schema = content?.['application/json']?.schema ?? content?.['application/problem+json']?.schema;
    expect(schema, `${method} ${path} documents ${status}`).toBeDefined();
    const resolved =
      schema?.$ref === '#/components/schemas/Problem' ? doc.components.schemas.Problem : schema;
    const validator = z.fromJSONSchema(resolved as never);
    const result = validator.safeParse(body);
    expect(result.success, `${method} ${path} ${status}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
  };

  it('is OpenAPI 3.1 and lists exactly the routes of the router, with their path parameters', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of routes) {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const parameters = doc.paths[route.path]?.[route.method.toLowerCase()]?.parameters ?? [];
      expect(parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(names);
    }
  });

  it('documents what the handlers actually answer', async () => {
    const created = await api.request('POST', '/api/v1/flows', { body: logFlow('documented', 1) });
    conforms('/api/v1/flows', 'POST', 201, created.body);
    const flowId = created.body.flowId;
    conforms('/api/v1/flows', 'GET', 200, (await api.request('GET', '/api/v1/flows')).body);
    conforms(
      '/api/v1/flows/{flowId}',
      'GET',
      200,
      (await api.request('GET', `/api/v1/flows/${flowId}`)).body,
    );
    const versions = await api.request('GET', `/api/v1/flows/${flowId}/versions`);
    conforms('/api/v1/flows/{flowId}/versions', 'GET', 200, versions.body);
    const triggers = await api.request('GET', `/api/v1/flows/${flowId}/triggers`);
    conforms('/api/v1/flows/{flowId}/triggers', 'GET', 200, triggers.body);
    const started = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      body: { input: { who: 'x' } },
    });
    conforms('/api/v1/flows/{flowId}/execute', 'POST', 202, started.body);
    const execution = await api.waitForExecution(started.body.executionId, api.adminKey);
    conforms('/api/v1/executions/{executionId}', 'GET', 200, execution);
    const executions = await api.request('GET', `/api/v1/flows/${flowId}/executions`);
    conforms('/api/v1/flows/{flowId}/executions', 'GET', 200, executions.body);
    const key = await api.request('POST', '/api/v1/keys', { body: { name: 'doc', scopes: ['flows:read'] } });
    conforms('/api/v1/keys', 'POST', 201, key.body);
    conforms('/api/v1/audit', 'GET', 200, (await api.request('GET', '/api/v1/audit')).body);
    conforms('/api/v1/health', 'GET', 200, (await api.request('GET', '/api/v1/health')).body);
    const missing = await api.request('GET', '/api/v1/flows/nope');
    conforms('/api/v1/flows/{flowId}', 'GET', 404, missing.body);
    const invalid = await api.request('POST', '/api/v1/flows', { body: { name: '' } });
    conforms('/api/v1/flows', 'POST', 400, invalid.body);
  });
});
