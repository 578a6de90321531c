import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduleTriggerHandler } from '../../../functions/triggers/schedule-trigger-handler.ts';
import { createSqsTriggerHandler } from '../../../functions/triggers/sqs-trigger-handler.ts';
import { triggerTableKeys } from '../../../infra/constructs/table-keys.ts';
import type { Deps } from '../../../lib/service/deps.ts';
import { createLocalDocumentClient } from '../../../lib/store/client.ts';
import { createStores } from '../../../lib/store/index.ts';
import { definitionSchema } from '../../../lib/workflow/definition-schema.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { fakeDeps, passMachine, silentLog } from '../api/service-fakes.ts';

/** An IAM `StringLike` pattern as a regex (`*` any run of characters, `?` one). */
const likePattern = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** One store call of the triggers: the command, the partition key it names, the index it reads. */
interface TableCall {
  command: string;
  pk: unknown;
  index?: string;
}

/**
 * The trigger functions' table grant (infra/constructs/table-keys.ts) is `dynamodb:LeadingKeys` on
 * flows and executions only. IAM is not enforced locally, so this runs both triggers' handlers
 * against dynalite, records every call their stores make, and checks each one as IAM would: an
 * item call or base-table Query whose partition key matches a granted pattern, never an index,
 * Scan, batch or transaction.
 */
describe('the table items the trigger functions touch', () => {
  let dynalite: TestDynalite;
  let deps: Deps;
  /** The test's own view of the table (not recorded). */
  let stores: Deps['stores'];
  let flowId: string;
  const calls: TableCall[] = [];

  beforeAll(async () => {
    dynalite = await startDynalite();
    const setup = fakeDeps(dynalite, () => passMachine);
    const definition = definitionSchema.parse({
      name: 'orders',
      nodes: [
        { id: 'queued', type: 'trigger', trigger: 'queue' },
        { id: 'nightly', type: 'trigger', trigger: 'schedule', config: { cron: '0 2 * * ? *' } },
        {
          id: 'a',
          type: 'action',
          action: 'log',
          config: { message: 'hi' },
          dependencies: ['queued', 'nightly'],
        },
      ],
    });
    const created = await setup.deps.stores.flows.createFlow('t1', {
      definition,
      compiled: passMachine.asl,
      report: passMachine.report,
      triggers: [],
    });
    flowId = created.flowId;
    // The functions' own client, recording each command before it is sent.
    const recording = createLocalDocumentClient(dynalite.endpoint);
    recording.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as {
          Key?: { pk?: unknown };
          Item?: { pk?: unknown };
          IndexName?: string;
          KeyConditionExpression?: string;
          ExpressionAttributeValues?: Record<string, unknown>;
        };
        const placeholder = /\bpk = (:\w+)/.exec(input.KeyConditionExpression ?? '')?.[1];
        calls.push({
          command: context.commandName ?? 'unknown',
          pk:
            input.Key?.pk ??
            input.Item?.pk ??
            (placeholder ? input.ExpressionAttributeValues?.[placeholder] : undefined),
          ...(input.IndexName === undefined ? {} : { index: input.IndexName }),
        });
        return next(args);
      },
      { step: 'initialize', name: 'recordTableCalls' },
    );
    stores = setup.deps.stores;
    deps = { ...setup.deps, stores: createStores(recording, dynalite.tableName) };
  });
  afterAll(async () => {
    await dynalite?.stop();
  });

  const expectWithinGrant = () => {
    expect(calls.length).toBeGreaterThan(0);
    const granted = triggerTableKeys.map(likePattern);
    for (const call of calls) {
      expect(call.command, JSON.stringify(call)).toMatch(
        /^(Get|Put|Update|Delete|Query)(Item)?Command$|^ConditionCheck/,
      );
      expect(call.index, JSON.stringify(call)).toBeUndefined();
      expect(typeof call.pk, JSON.stringify(call)).toBe('string');
      expect(
        granted.some((pattern) => pattern.test(call.pk as string)),
        JSON.stringify(call),
      ).toBe(true);
    }
  };

  it('the SQS trigger: a start, the same message again, and an unknown flow', async () => {
    calls.length = 0;
    const record = (messageId: string, body: unknown) => ({
      messageId,
      receiptHandle: messageId,
      body: JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:flowforge-dev-triggers',
      awsRegion: 'us-east-1',
    });
    const handler = createSqsTriggerHandler(() => deps, silentLog);
    const event = (records: ReturnType<typeof record>[]) => ({ Records: records }) as unknown as SQSEvent;
    const first = await handler(
      event([
        record('m1', { tenantId: 't1', flowId, input: { n: 1 } }),
        record('m2', { tenantId: 't1', flowId: 'nope', input: {} }),
      ]),
    );
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    // Redelivered: the same execution, found by its id (no second run).
    const again = await handler(event([record('m1', { tenantId: 't1', flowId, input: { n: 1 } })]));
    expect(again.batchItemFailures).toEqual([]);
    const listed = await stores.executions.listByFlow('t1', flowId);
    expect(listed.items.filter((item) => item.trigger.type === 'queue')).toHaveLength(1);
    expectWithinGrant();
  });

  it('the schedule trigger: an instant, the same instant again', async () => {
    calls.length = 0;
    const handler = createScheduleTriggerHandler(() => deps, silentLog);
    const event = { tenantId: 't1', flowId, triggerId: 'nightly', scheduledTime: '2026-03-30T02:00:00Z' };
    const first = await handler(event);
    const second = await handler(event);
    expect(second).toEqual({ executionId: first.executionId, alreadyStarted: true });
    expectWithinGrant();
  });
});
