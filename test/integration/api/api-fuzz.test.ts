import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../../functions/api/routes.ts';
import { logFlow, startTestApi, type TestApi } from './local-api.ts';

/** Sends exactly this method, raw path, headers and body (no URL normalisation as fetch would do). */
const rawRequest = (
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const sentHeaders =
      body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = httpRequest(
      { host: target.hostname, port: target.port, method, path, headers: sentHeaders },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });

const LEAKS = [/\n\s+at /, /\bat [\w.<>]+ \(/, /\/work\//, /node_modules/, /\.ts:\d+/, /file:\/\//];

describe('fuzzing every route', () => {
  let api: TestApi;
  let flowId: string;
  let executionId: string;
  let validDefinition: Record<string, unknown>;

  beforeAll(async () => {
    api = await startTestApi();
    validDefinition = logFlow('fuzz-target', 1);
    const flow = await api.request('POST', '/api/v1/flows', { body: validDefinition });
    flowId = flow.body.flowId;
    const run = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      body: { input: { who: 'f' } },
    });
    executionId = run.body.executionId;
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('never answers 5xx and never shows a stack trace or a file path', { timeout: 120_000 }, async () => {
    const segment = fc.oneof(
      fc.constantFrom('x', 'default', '..', '%', '%ZZ', '%00', 'a%2Fb', '', '%20', 'execute', 'versions'),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
      fc.constant('a'.repeat(300)),
    );
    const idFor = (name: string) =>
      fc.oneof(
        fc.constant(name === 'flowId' ? flowId : name === 'executionId' ? executionId : 'trigger'),
        segment,
      );
    const routePath = fc.constantFrom(...routes).chain((route) => {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
      return fc
        .tuple(
          ...names.map(idFor),
          fc.constantFrom('', '?limit=1', '?limit=0', '?limit=abc', '?cursor=%%%', '?limit=1&cursor=eyJ9'),
        )
        .map((parts) => {
          let path = route.path;
          names.forEach((name, i) => {
            path = path.replace(`{${name}}`, String(parts[i]));
          });
          return { method: route.method as string, path: path + String(parts[names.length]) };
        });
    });
    const randomPath = fc
      .array(segment, { maxLength: 6 })
      .map((segments) => ({ method: 'GET', path: `/api/v1/${segments.join('/')}` }));
    const target = fc.tuple(
      fc.oneof({ weight: 4, arbitrary: routePath }, { weight: 1, arbitrary: randomPath }),
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', null),
    );

    const mutatedDefinition = fc
      .tuple(fc.constantFrom('name', 'nodes', 'connections', 'inputSchema', 'extra'), fc.jsonValue())
      .map(([key, value]) => ({ ...validDefinition, [key]: value }));
    const mutatedNode = fc
      .tuple(
        fc.constantFrom('id', 'type', 'action', 'config', 'dependencies', 'retry', 'join'),
        fc.jsonValue(),
      )
      .map(([key, value]) => {
        const nodes = structuredClone(validDefinition.nodes) as Array<Record<string, unknown>>;
        const node = nodes[1] ?? {};
        node[key] = value;
        return { ...validDefinition, nodes };
      });
    const body = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      mutatedDefinition.map((value) => JSON.stringify(value)),
      mutatedNode.map((value) => JSON.stringify(value)),
      fc
        .record({ input: fc.jsonValue(), version: fc.jsonValue(), flowId: fc.jsonValue() })
        .map((v) => JSON.stringify(v)),
      fc
        .record({ name: fc.jsonValue(), scopes: fc.jsonValue(), tenant: fc.jsonValue() })
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.constantFrom('{', '[1,', '{"a":}', 'null', '""', '\u0000', '{"name":"x","nodes":[{"id":"a"'),
    );
    const printable = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
    const headers = fc.record(
      {
        authorization: fc.oneof(
          fc.constant(`Bearer ${api.adminKey}`),
          fc.constant(`bearer ${api.adminKey}`),
          printable.map((value) => `Bearer ${value}`),
          printable,
        ),
        'content-type': fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          '',
        ),
        'if-match': fc.oneof(fc.constantFrom('"1"', '1', 'W/"1"', '*', '"999"', '"abc"'), printable),
        'idempotency-key': printable,
        'webhook-id': printable,
        'webhook-timestamp': fc.oneof(printable, fc.integer().map(String)),
        'webhook-signature': printable,
      },
      { requiredKeys: [] },
    );

    await fc.assert(
      fc.asyncProperty(
        target,
        headers,
        body,
        async ([{ method, path }, overrideMethod], headerValues, payload) => {
          const sent = overrideMethod ?? method;
          const response = await rawRequest(api.server.url, sent, path, headerValues, payload);
          const where = `${sent} ${path} → ${response.status}: ${response.text.slice(0, 300)}`;
          expect(response.status, where).toBeLessThan(500);
          for (const leak of LEAKS) expect(response.text, where).not.toMatch(leak);
          expect(response.headers['x-request-id'], where).toBeTruthy();
          if (response.status >= 400) {
            expect(response.headers['content-type'], where).toContain('application/problem+json');
            const problem = JSON.parse(response.text);
            expect(problem, where).toMatchObject({ status: response.status, title: expect.any(String) });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
