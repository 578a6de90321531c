import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './local-api.ts';

/**
 * DESIGN.md §2.1: Express executions still reach a final status with node records, and stop and
 * redrive on them answer 409 with a problem saying Express does not support it — as AWS refuses
 * StopExecution and RedriveExecution for Express workflows.
 */
describe('stop and redrive of an Express execution', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.stop();
  });

  const startExpress = async (nodes: unknown[]) => {
    const flow = await api.request('POST', '/api/v1/flows', {
      body: { name: 'express-run', stateMachineType: 'EXPRESS', nodes },
    });
    expect(flow.status).toBe(201);
    const run = await api.request('POST', `/api/v1/flows/${flow.body.flowId}/execute`, {
      body: { input: {} },
    });
    expect(run.status).toBe(202);
    return run.body.executionId as string;
  };

  it('reaches a final status with node records, and redrive of the failed run answers 409 naming Express', async () => {
    const executionId = await startExpress([
      { id: 'say', type: 'action', action: 'log', config: { message: 'hi' } },
      {
        id: 'boom',
        type: 'operation',
        operation: 'fail',
        config: { error: 'Boom', cause: 'on purpose' },
        dependencies: ['say'],
      },
    ]);
    const execution = await api.waitForExecution(executionId, api.adminKey);
    expect(execution.status).toBe('FAILED');
    expect(execution.nodes.say).toMatchObject({ status: 'succeeded', output: { message: 'hi' } });
    const redrive = await api.request('POST', `/api/v1/executions/${executionId}/redrive`);
    expect(redrive.status).toBe(409);
    expect(redrive.headers.get('content-type')).toContain('application/problem+json');
    expect(redrive.body.detail).toContain('Express executions do not support redrive');
  });

  it('stop answers 409 naming Express', async () => {
    const executionId = await startExpress([
      { id: 'wait', type: 'operation', operation: 'delay', config: { seconds: 60 } },
    ]);
    const stop = await api.request('POST', `/api/v1/executions/${executionId}/stop`);
    expect(stop.status).toBe(409);
    expect(stop.body.detail).toContain('Express executions do not support stop');
  });
});
