import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './local-api.ts';

/** StartExecution takes at most 256 KiB of input: a larger one is a 413 problem, never a 500 or a run. */
describe('execution input over 256 KiB', () => {
  let api: TestApi;
  let flowId: string;
  beforeAll(async () => {
    api = await startTestApi();
    const flow = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'sized',
        nodes: [{ id: 'say', type: 'action', action: 'log', config: { message: 'hi' } }],
      },
    });
    flowId = flow.body.flowId;
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('answers 413 problem+json naming /input and starts nothing', async () => {
    const response = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      body: { input: { blob: 'x'.repeat(300 * 1024) } },
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors[0].path).toBe('/input');
    expect(response.body.detail).toContain('256 KiB');
    const listed = await api.request('GET', `/api/v1/flows/${flowId}/executions`);
    expect(listed.body.items).toEqual([]);
  });

  it('still starts a run whose input fits', async () => {
    const response = await api.request('POST', `/api/v1/flows/${flowId}/execute`, {
      body: { input: { blob: 'x'.repeat(200 * 1024) } },
    });
    expect(response.status).toBe(202);
  });
});
