import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../lib/security/webhook-signature.ts';
import { startTestApi, type TestApi } from '../api/local-api.ts';

/**
 * Issue 6 end to end on the local server: one flow with a webhook, a schedule and a queue trigger,
 * each starting it, and the flow's executions naming the trigger of each run.
 */
describe('triggers end to end on the local server', () => {
  let api: TestApi;
  let sqs: SQSClient;
  let flowId: string;
  let secret: string;

  beforeAll(async () => {
    // timeScale 0.001: "every 5 minutes" fires every 300 ms of real time.
    api = await startTestApi({ timeScale: 0.001 });
    sqs = new SQSClient({
      endpoint: api.server.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const created = await api.request('POST', '/api/v1/flows', {
      body: {
        name: 'every-way-in',
        nodes: [
          { id: 'hook', type: 'trigger', trigger: 'webhook' },
          {
            id: 'tick',
            type: 'trigger',
            trigger: 'schedule',
            config: { rate: 'rate(5 minutes)', input: { from: 'schedule' } },
          },
          { id: 'inbox', type: 'trigger', trigger: 'queue' },
          {
            id: 'note',
            type: 'action',
            action: 'log',
            config: { message: 'started' },
            dependencies: ['hook', 'tick', 'inbox'],
            join: 'any',
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    flowId = created.body.flowId;
    const hook = created.body.triggers.find((t: { id: string }) => t.id === 'hook');
    expect(hook.url).toBe(`${api.server.url}/api/v1/hooks/${flowId}/hook`);
    expect(hook.secret).toMatch(/^whsec_/);
    secret = hook.secret;
  });
  afterAll(async () => {
    sqs?.destroy();
    await api?.stop();
  });

  it('lists the triggers with the webhook URL (secret shown once) and five schedule fire times', async () => {
    const listed = await api.request('GET', `/api/v1/flows/${flowId}/triggers`);
    expect(listed.status).toBe(200);
    const byId = Object.fromEntries(listed.body.items.map((t: { id: string }) => [t.id, t]));
    expect(byId.hook.url).toContain(`/api/v1/hooks/${flowId}/hook`);
    expect(byId.hook.secret).toBeUndefined();
    expect(byId.tick.nextFireTimes).toHaveLength(5);
    for (const time of byId.tick.nextFireTimes)
      expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(byId.inbox.type).toBe('queue');
  });

  it('starts the flow from a signed webhook once per webhook-id, and refuses bad signatures naming why', async () => {
    const body = JSON.stringify({ order: 7 });
    const signed = signWebhook({ secret, webhookId: 'msg_1', timestamp: new Date(), rawBody: body });
    const post = (headers: Record<string, string>, raw = body) =>
      api.request('POST', `/api/v1/hooks/${flowId}/hook`, { key: null, rawBody: raw, headers });
    const first = await post(signed);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ executionId: expect.any(String), status: expect.any(String) });
    const again = await post(signed);
    expect(again.body.executionId).toBe(first.body.executionId);

    const tampered = await post(signed, JSON.stringify({ order: 8 }));
    expect(tampered.status).toBe(401);
    expect(tampered.headers.get('content-type')).toContain('application/problem+json');
    expect(tampered.body.detail).toMatch(/signature/);
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.body.detail).toMatch(/webhook-id|missing/);
    const stale = await post(
      signWebhook({ secret, webhookId: 'msg_2', timestamp: new Date(Date.now() - 3600_000), rawBody: body }),
    );
    expect(stale.status).toBe(401);
    const unknown = await api.request('POST', `/api/v1/hooks/${flowId}/nope`, {
      key: null,
      rawBody: body,
      headers: signed,
    });
    expect(unknown.status).toBe(404);

    const run = await api.waitForExecution(first.body.executionId, api.adminKey);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      trigger: { id: 'hook', type: 'webhook' },
      input: { order: 7 },
    });
  });

  it('starts the flow from a message on the local SQS queue flowforge-triggers', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: api.server.queueUrl,
        MessageBody: JSON.stringify({ flowId, input: { from: 'queue' } }),
      }),
    );
    const deadline = Date.now() + 15_000;
    let found: { executionId: string } | undefined;
    while (!found && Date.now() < deadline) {
      const page = await api.request('GET', `/api/v1/flows/${flowId}/executions?limit=100`);
      found = page.body.items.find((e: { trigger: { type: string } }) => e.trigger.type === 'queue');
      if (!found) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(found).toBeDefined();
    const run = await api.waitForExecution(found?.executionId ?? '', api.adminKey);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      trigger: { id: 'inbox', type: 'queue' },
      input: { from: 'queue' },
    });
  });

  it('starts the flow on its schedule, and GET executions names the trigger of every run', async () => {
    const deadline = Date.now() + 15_000;
    let items: Array<{ trigger: { id: string | null; type: string }; input: unknown; status: string }> = [];
    while (Date.now() < deadline) {
      items = (await api.request('GET', `/api/v1/flows/${flowId}/executions?limit=100`)).body.items;
      if (items.some((e) => e.trigger.type === 'schedule')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const scheduled = items.find((e) => e.trigger.type === 'schedule');
    expect(scheduled).toMatchObject({
      trigger: { id: 'tick', type: 'schedule' },
      input: { from: 'schedule' },
    });
    expect(new Set(items.map((e) => e.trigger.type))).toEqual(new Set(['webhook', 'queue', 'schedule']));
    const everything = await api.request('GET', '/api/v1/executions?limit=100');
    expect(everything.status).toBe(200);
    expect(new Set(everything.body.items.map((e: { trigger: { type: string } }) => e.trigger.type))).toEqual(
      new Set(['webhook', 'queue', 'schedule']),
    );
  });

  it('unregisters the triggers of a deleted flow: its webhook answers 404', async () => {
    expect((await api.request('DELETE', `/api/v1/flows/${flowId}`)).status).toBe(204);
    const body = '{}';
    const late = await api.request('POST', `/api/v1/hooks/${flowId}/hook`, {
      key: null,
      rawBody: body,
      headers: signWebhook({ secret, webhookId: 'msg_late', timestamp: new Date(), rawBody: body }),
    });
    expect(late.status).toBe(404);
  });
});
