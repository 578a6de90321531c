import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './local-api.ts';

/** examples/call-with-secret.json as the README runs it: PUT /secrets, POST /flows, execute. */
describe('examples/call-with-secret.json through npm start', () => {
  const TOKEN = 'tok-example-9f8e7d6c';
  let api: TestApi;
  let server: Server;
  let baseUrl: string;
  const authorizations: Array<string | undefined> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      authorizations.push(request.headers.authorization);
      const ok = request.headers.authorization === `Bearer ${TOKEN}`;
      response.statusCode = ok ? 200 : 401;
      response.setHeader('content-type', 'application/json');
      // An API that echoes the credential back: the record must still not show it.
      response.end(
        JSON.stringify(ok ? { user: 'ada', echoed: request.headers.authorization } : { error: 'no' }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the secret as the bearer token and keeps it out of the execution', async () => {
    expect((await api.request('PUT', '/api/v1/secrets/api-token', { body: { value: TOKEN } })).status).toBe(
      201,
    );
    const definition = JSON.parse(readFileSync('examples/call-with-secret.json', 'utf8'));
    const flow = await api.request('POST', '/api/v1/flows', { body: definition });
    expect(flow.status).toBe(201);
    const started = await api.request('POST', `/api/v1/flows/${flow.body.flowId}/execute`, {
      body: { input: { baseUrl } },
    });
    const execution = await api.waitForExecution(started.body.executionId, api.adminKey);
    expect(execution.status).toBe('SUCCEEDED');
    expect(authorizations).toEqual([`Bearer ${TOKEN}`]);
    expect(execution.nodes.report.output).toEqual({ message: 'signed in as ada' });
    expect(execution.nodes.whoami.output.body.echoed).toBe('Bearer ***');
    expect(JSON.stringify(execution)).not.toContain(TOKEN);
  });
});
