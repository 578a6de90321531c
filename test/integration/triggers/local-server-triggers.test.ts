import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../lib/security/webhook-signature.ts';
import { startTestApi, type TestApi } from '../api/local-api.ts';

// End to end on the local server (`npm start`): one flow with a webhook, a queue and a schedule
// trigger; each starts it, and the execution listing names the trigger of each run.
describe('triggers on the local server', () => {
  let api: TestApi;
  let flowId: string;
  let secret: string;
  let hookUrl: string;

  beforeAll(async () => {
    api = await startTestApi({ timeScale: 0.001 });
    const created = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'three-triggers',
        nodes: [
          { id: 'hook', type: 'trigger', trigger: 'webhook' },
          { id: 'fromQueue', type: 'trigger', trigger: 'queue' },
          // 5 minutes at time scale 0.001: every 300 ms of real time.
          {
            id: 'every5',
            type: 'trigger',
            trigger: 'schedule',
            config: { rate: 'rate(5 minutes)', input: { source: 'schedule' } },
          },
          {
            id: 'note',
            type: 'action',
            action: 'log',
            config: { message: 'started by {{ input.source }}' },
            dependencies: ['hook', 'fromQueue', 'every5'],
            join: 'any',
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    flowId = created.body.flowId;
    const hook = created.body.triggers.find((trigger: { id: string }) => trigger.id === 'hook');
    secret = hook.secret;
    hookUrl = new URL(hook.url).pathname;
    expect(secret).toMatch(/^whsec_/);
    expect(hookUrl).toBe(`/api/v1/hooks/${flowId}/hook`);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('a signed webhook answers 202 with the execution; bad ones answer 401 naming the reason', async () => {
    const rawBody = JSON.stringify({ source: 'webhook' });
    const headers = signWebhook({ secret, webhookId: 'msg_e2e_1', timestamp: new Date(), rawBody });
    const accepted = await api.request('POST', hookUrl, {
      key: null,
      rawBody,
      headers: { ...headers, 'content-type': 'application/json' },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ executionId: expect.any(String), status: 'RUNNING' });
    const again = await api.request('POST', hookUrl, { key: null, rawBody, headers });
    expect(again.status).toBe(202);
    expect(again.body.executionId).toBe(accepted.body.executionId);

    const cases: Array<[string, string, Record<string, string>]> = [
      ['bad-signature', rawBody.replace('webhook', 'tampered'), headers],
      [
        'stale-timestamp',
        rawBody,
        signWebhook({ secret, webhookId: 'msg_old', timestamp: new Date(Date.now() - 600_000), rawBody }),
      ],
      ['missing-headers', rawBody, { 'webhook-id': 'msg_x' }],
    ];
    for (const [reason, body, sent] of cases) {
      const refused = await api.request('POST', hookUrl, { key: null, rawBody: body, headers: sent });
      expect(refused.status, reason).toBe(401);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body.detail).toContain(reason);
    }
  });

  it('a queue message and the schedule start the flow too, and GET executions names each trigger', async () => {
    const sqs = new SQSClient({
      endpoint: api.server.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: api.server.queueUrl,
        MessageBody: JSON.stringify({ flowId, input: { source: 'queue' } }),
      }),
    );
    sqs.destroy();

    const deadline = Date.now() + 15_000;
    let types = new Set<string>();
    let items: Array<{ trigger: { id: string | null; type: string }; input: { source?: string } }> = [];
    while (Date.now() < deadline) {
      const listed = await api.request('GET', `/api/v1/flows/${flowId}/executions?limit=100`);
      if (listed.status === 200) {
        items = listed.body.items;
        types = new Set(items.map((item) => item.trigger.type));
        if (types.has('webhook') && types.has('queue') && types.has('schedule')) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...types].sort()).toEqual(['queue', 'schedule', 'webhook']);
    const byType = (type: string) => items.filter((item) => item.trigger.type === type);
    expect(byType('webhook')).toHaveLength(1);
    expect(byType('webhook')[0]).toMatchObject({ trigger: { id: 'hook' }, input: { source: 'webhook' } });
    expect(byType('queue')).toEqual([
      expect.objectContaining({ trigger: { id: 'fromQueue', type: 'queue' }, input: { source: 'queue' } }),
    ]);
    expect(byType('schedule')[0]).toMatchObject({
      trigger: { id: 'every5', type: 'schedule' },
      input: { source: 'schedule' },
    });
  });
});
