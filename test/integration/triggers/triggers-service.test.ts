import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduleTriggerHandler } from '../../../functions/triggers/schedule-trigger-handler.ts';
import { createSqsTriggerHandler } from '../../../functions/triggers/sqs-trigger-handler.ts';
import type {
  DeployedMachine,
  DeployRequest,
  StartRequest,
  StartResult,
  StateMachines,
} from '../../../lib/runtime/state-machines.ts';
import { signWebhook } from '../../../lib/security/webhook-signature.ts';
import type { Deps } from '../../../lib/service/deps.ts';
import { flowLookup } from '../../../lib/service/flow-lookup.ts';
import { startExecution } from '../../../lib/service/start-execution.ts';
import { createStores, type StoreSet } from '../../../lib/store/index.ts';
import { createLocalScheduler } from '../../../lib/triggers/local-scheduler.ts';
import {
  createLocalSqsPoller,
  type LocalSqs,
  startLocalSqs,
} from '../../../lib/triggers/local-sqs-poller.ts';
import { fireScheduledTrigger } from '../../../lib/triggers/schedule-trigger.ts';
import { toScheduleTrigger } from '../../../lib/triggers/schedules.ts';
import { processQueueBatch } from '../../../lib/triggers/sqs-trigger.ts';
import type { StartExecutionFn } from '../../../lib/triggers/start-execution-port.ts';
import { createLocalWebhookSecrets } from '../../../lib/triggers/webhook-secrets.ts';
import { handleWebhook } from '../../../lib/triggers/webhook-trigger.ts';
import { definitionSchema } from '../../../lib/workflow/definition-schema.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { FakeClock, orderFlow } from '../../unit/triggers/fakes.ts';

/** Records the machine starts; a second start of the same name changes nothing (as Step Functions). */
class RecordingMachines implements StateMachines {
  readonly started: StartRequest[] = [];
  async deploy(request: DeployRequest): Promise<DeployedMachine> {
    const arn = `arn:test:${request.tenantId}:${request.flowId}`;
    return { stateMachineArn: arn, versionArn: `${arn}:${request.version}` };
  }
  async start(request: StartRequest): Promise<StartResult> {
    const executionArn = `${request.machine.versionArn}:${request.name}`;
    const alreadyStarted = this.started.some((started) => started.name === request.name);
    if (!alreadyStarted) this.started.push(request);
    return { executionArn, startedAt: request.input.execution.startedAt, alreadyStarted };
  }
  async describe(): Promise<never> {
    throw new Error('not used');
  }
  async stop(): Promise<void> {}
  async redrive(): Promise<void> {}
  async remove(): Promise<void> {}
}

describe('triggers through the real startExecution use case and the DynamoDB store (dynalite)', () => {
  let dynalite: TestDynalite;
  let sqs: LocalSqs;
  let stores: StoreSet;
  let machines: RecordingMachines;
  let deps: Deps;
  let start: StartExecutionFn;

  beforeAll(async () => {
    [dynalite, sqs] = await Promise.all([
      startDynalite(),
      startLocalSqs({ port: 0, visibilityTimeoutSeconds: 0 }),
    ]);
    stores = createStores(dynalite.client, dynalite.tableName);
    machines = new RecordingMachines();
    deps = {
      stores,
      stateMachines: machines,
      compile: () => {
        throw new Error('not used');
      },
      compileContext: { actionArns: {} },
      triggers: { register: async () => ({}), unregisterAll: async () => {} },
      resolveWebhookSecrets: createLocalWebhookSecrets().resolve,
      clock: () => new Date(),
      apiBaseUrl: 'http://127.0.0.1:1',
      log: { info() {}, warn() {}, error() {} },
    };
    start = (request) => startExecution(deps, request);
    await stores.flows.createFlow('default', {
      flowId: 'orders',
      definition: definitionSchema.parse(orderFlow),
      compiled: { StartAt: 'log', States: { log: { Type: 'Succeed' } } },
      report: {
        stateMachineType: 'STANDARD',
        definitionBytes: 1,
        states: 1,
        estimatedTransitions: 1,
        addedEdges: [],
        warnings: [],
      },
      triggers: [
        { id: 'hook', type: 'webhook' },
        { id: 'fromQueue', type: 'queue' },
        { id: 'nightly', type: 'schedule', config: { cron: '0 2 * * ? *', timezone: 'Europe/Berlin' } },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all([dynalite?.stop(), sqs?.stop()]);
  });

  async function executionsBy(type: string) {
    const page = await stores.executions.listByFlow('default', 'orders', { limit: 100 });
    return page.items.filter((execution) => execution.trigger.type === type);
  }

  it('SQS: 10 messages with 3 bad → 7 executions recorded, the 3 reported; a redelivery is one execution', async () => {
    const bodies = Array.from({ length: 10 }, (_, index) =>
      JSON.stringify({ flowId: 'orders', input: { orderId: `q${index}` } }),
    );
    bodies[1] = JSON.stringify({ flowId: 'missing', input: {} });
    bodies[4] = 'not json';
    bodies[7] = JSON.stringify({ flowId: 'orders', input: { orderId: 7 } });
    const sent = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl,
        Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    const poller = createLocalSqsPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      waitTimeSeconds: 0,
      deps: { getFlow: flowLookup(deps), startExecution: start },
    });
    const failures: string[] = [];
    let received = 0;
    for (let round = 0; round < 10 && received < 10; round++) {
      const result = await poller.pollOnce();
      received += result.received;
      failures.push(...result.batchItemFailures.map((failure) => failure.itemIdentifier));
    }
    const idOf = (entry: string) => sent.Successful?.find((ok) => ok.Id === entry)?.MessageId;
    expect(failures.sort()).toEqual([idOf('1'), idOf('4'), idOf('7')].sort());
    const queued = await executionsBy('queue');
    expect(queued).toHaveLength(7);
    expect(queued.every((execution) => execution.trigger.id === 'fromQueue')).toBe(true);

    // The same message delivered again (e.g. its delete was lost): same key, same execution.
    const again = await processQueueBatch(
      { Records: [{ messageId: String(idOf('0')), body: bodies[0] ?? '' }] },
      { getFlow: flowLookup(deps), startExecution: start },
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(await executionsBy('queue')).toHaveLength(7);
    expect(
      machines.started.filter((request) => request.input.execution.trigger?.type === 'queue'),
    ).toHaveLength(7);
  });

  it('webhook: a valid delivery starts one execution, the same webhook-id again starts none', async () => {
    const { secret, secretRef } = await createLocalWebhookSecrets().create('default', 'orders', 'hook');
    await stores.triggers.putRegistration({
      tenant: 'default',
      flowId: 'orders',
      triggerId: 'hook',
      type: 'webhook',
      version: 1,
      enabled: true,
      secretRef,
    });
    const webhookDeps = {
      triggers: stores.triggers,
      webhookReplay: stores.webhookReplay,
      resolveSecrets: deps.resolveWebhookSecrets,
      getFlow: flowLookup(deps),
      startExecution: start,
      now: () => new Date(),
    };
    const rawBody = JSON.stringify({ orderId: 'w1' });
    const headers = signWebhook({ secret, webhookId: 'msg_same', timestamp: new Date(), rawBody });
    const first = await handleWebhook({ flowId: 'orders', triggerId: 'hook', rawBody, headers }, webhookDeps);
    const second = await handleWebhook(
      { flowId: 'orders', triggerId: 'hook', rawBody, headers },
      webhookDeps,
    );
    expect(second.executionId).toBe(first.executionId);
    expect(second.alreadyStarted).toBe(true);
    const hooked = await executionsBy('webhook');
    expect(hooked.map((execution) => [execution.trigger.id, execution.input])).toEqual([
      ['hook', { orderId: 'w1' }],
    ]);
  });

  it('schedule: a repeated Scheduler delivery is one execution; local scheduler restarts share the fired marks', async () => {
    const event = {
      tenantId: 'default',
      flowId: 'orders',
      triggerId: 'nightly',
      version: 1,
      input: { orderId: 'nightly' },
      scheduledTime: '2026-03-30T00:00:00Z',
    };
    const first = await fireScheduledTrigger(event, { startExecution: start });
    const repeat = await fireScheduledTrigger(event, { startExecution: start });
    expect(repeat).toMatchObject({ executionId: first.executionId, alreadyStarted: true });

    const trigger = toScheduleTrigger('nightly', {
      cron: '0 2 * * ? *',
      timezone: 'Europe/Berlin',
      input: { orderId: 'local' },
    });
    const flow = { tenantId: 'default', flowId: 'orders', version: 1 };
    // The fired marks expire 14 days after their instant: their store reads the scheduler's clock.
    let current = new FakeClock('2026-10-23T12:00:00Z');
    const marks = createStores(dynalite.client, dynalite.tableName, { clock: () => current.now() }).triggers;
    const makeScheduler = (clock: FakeClock) =>
      createLocalScheduler({ clock, firedMarks: marks, startExecution: start });
    const clockA = current;
    const a = makeScheduler(clockA);
    await a.register(flow, [trigger]);
    await clockA.advanceTo('2026-10-24T06:00:00Z', () => a.idle());
    a.stop();
    const clockB = new FakeClock('2026-10-24T07:00:00Z');
    current = clockB;
    const b = makeScheduler(clockB);
    await b.register(flow, [trigger]);
    await clockB.advanceTo('2026-10-26T06:00:00Z', () => b.idle());
    b.stop();
    const scheduled = (await executionsBy('schedule')).filter(
      (execution) => (execution.input as { orderId?: string }).orderId === 'local',
    );
    expect(scheduled.map((execution) => execution.idempotencyKey).sort()).toEqual([
      'schedule:orders:nightly:2026-10-24T00:00:00.000Z',
      'schedule:orders:nightly:2026-10-25T00:00:00.000Z',
      'schedule:orders:nightly:2026-10-26T01:00:00.000Z',
    ]);
    expect(await marks.lastScheduleFired('default', 'orders', 'nightly')).toBe('2026-10-26T01:00:00.000Z');
  });

  it('two flows with the same trigger id firing the same instant are two executions', async () => {
    const base = await stores.flows.getVersion('default', 'orders');
    await stores.flows.createFlow('default', {
      flowId: 'orders-copy',
      definition: base.definition,
      compiled: base.compiled,
      report: base.report,
      triggers: base.triggers,
    });
    const event = (flowId: string) => ({
      tenantId: 'default',
      flowId,
      triggerId: 'nightly',
      input: { orderId: 'twin' },
      scheduledTime: '2026-12-24T01:00:00Z',
    });
    const a = await fireScheduledTrigger(event('orders'), { startExecution: start });
    const b = await fireScheduledTrigger(event('orders-copy'), { startExecution: start });
    expect(a.alreadyStarted).toBe(false);
    expect(b.alreadyStarted).toBe(false);
    expect(b.executionId).not.toBe(a.executionId);
  });

  it('the Lambda handlers: SQS answers batchItemFailures, schedule starts once per instant', async () => {
    const warnings: unknown[] = [];
    const log = { info() {}, warn: (_message: string, extra?: unknown) => warnings.push(extra), error() {} };
    const record = (messageId: string, body: string): SQSRecord => ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1767225600000',
        SenderId: 'AIDA',
        ApproximateFirstReceiveTimestamp: '1767225600000',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-central-1:111122223333:flowforge-triggers',
      awsRegion: 'eu-central-1',
    });
    const event: SQSEvent = {
      Records: [
        record('lambda-ok', JSON.stringify({ flowId: 'orders', input: { orderId: 'l1' } })),
        record('lambda-bad', JSON.stringify({ flowId: 'orders', input: {} })),
      ],
    };
    const sqsHandler = createSqsTriggerHandler(() => deps, log);
    expect(await sqsHandler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'lambda-bad' }] });
    expect(warnings).toEqual([
      expect.objectContaining({
        messageId: 'lambda-bad',
        error: 'InvalidTriggerEventError',
        issues: [{ path: '/orderId', message: 'is required' }],
      }),
    ]);
    expect(await sqsHandler({ Records: [event.Records[0] as SQSRecord] })).toEqual({ batchItemFailures: [] });
    const fromLambda = (await executionsBy('queue')).filter(
      (execution) => execution.idempotencyKey === 'sqs:lambda-ok',
    );
    expect(fromLambda).toHaveLength(1);

    const scheduleHandler = createScheduleTriggerHandler(() => deps, log);
    const scheduled = {
      tenantId: 'default',
      flowId: 'orders',
      triggerId: 'nightly',
      version: 1,
      input: { orderId: 'lambda' },
      scheduledTime: '2026-12-01T01:00:00Z',
    };
    const first = await scheduleHandler(scheduled);
    expect(await scheduleHandler(scheduled)).toEqual({
      executionId: first.executionId,
      alreadyStarted: true,
    });
    await expect(scheduleHandler({ flowId: 'orders' })).rejects.toThrow(/not a schedule trigger event/);
  });
});
