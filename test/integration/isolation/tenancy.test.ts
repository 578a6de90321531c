import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFlow, startTestApi, type TestApi } from '../api/local-api.ts';

/** Issue 11, cross-tenant start: tenant A's flow sends to FlowForge's own trigger queue to start tenant B's flow. */
describe('tenancy of the trigger queue', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.stop());

  const keyOf = async (tenant: string) => {
    const created = await api.request('POST', '/api/v1/keys', {
      body: {
        name: tenant,
        scopes: ['flows:read', 'flows:write', 'executions:start', 'executions:read'],
        tenant,
      },
    });
    expect(created.status).toBe(201);
    return created.body.key as string;
  };

  it("a flow's queue action cannot reach the trigger queue or its DLQ, by name or URL", async () => {
    const [attacker, victim] = [await keyOf('attacker'), await keyOf('victim')];
    const target = await api.request('POST', '/api/v1/flows', {
      key: victim,
      body: logFlow('victim flow', 1),
    });
    const forged = { tenantId: 'victim', flowId: target.body.flowId, input: { who: 'attacker' } };
    const queues = [
      'flowforge-triggers',
      api.server.queueUrl,
      'flowforge-triggers-dlq',
      'http://127.0.0.1:1/000000000000/flowforge-triggers',
    ];
    const attack = await api.request('POST', '/api/v1/flows', {
      key: attacker,
      body: {
        name: 'cross-tenant start',
        nodes: [
          { id: 'start', type: 'trigger', trigger: 'manual' },
          ...queues.map((queue, i) => ({
            id: `send${i}`,
            type: 'action',
            action: 'queue',
            config: { queue, body: forged },
            dependencies: ['start'],
            onError: 'continue',
          })),
        ],
      },
    });
    expect(attack.status).toBe(201);
    const run = await api.request('POST', `/api/v1/flows/${attack.body.flowId}/execute`, {
      key: attacker,
      body: { input: {} },
    });
    const done = await api.waitForExecution(run.body.executionId, attacker);
    for (let i = 0; i < queues.length; i++) {
      expect(done.nodes[`send${i}`], queues[i]).toMatchObject({
        status: 'failed',
        error: { error: 'QueueNotAllowed' },
      });
    }
    // The victim's flow never ran.
    const runs = await api.request('GET', `/api/v1/flows/${target.body.flowId}/executions`, { key: victim });
    expect(runs.body.items).toEqual([]);
  });
});
