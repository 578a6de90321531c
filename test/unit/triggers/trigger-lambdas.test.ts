import { beforeAll, describe, expect, it } from 'vitest';

describe('trigger Lambda entry points', () => {
  beforeAll(() => {
    // Only what infra gives the trigger functions: the table and the state machine prefix.
    process.env.AWS_REGION ??= 'eu-central-1';
    process.env.FLOWFORGE_TABLE_NAME = 'flowforge-test';
    process.env.FLOWFORGE_STATE_MACHINE_PREFIX = 'flowforge-test';
    delete process.env.FLOWFORGE_SCHEDULE_GROUP;
    delete process.env.FLOWFORGE_ACTION_ARNS;
  });

  it('load and run without the scheduler, webhook or action settings', async () => {
    const sqs = await import('../../../functions/triggers/sqs.ts');
    const schedule = await import('../../../functions/triggers/schedule.ts');
    expect(await sqs.handler({ Records: [] })).toEqual({ batchItemFailures: [] });
    await expect(schedule.handler({ flowId: 'x' })).rejects.toMatchObject({
      name: 'InvalidTriggerEventError',
    });
  });

  it('refuse anything beyond starting executions', async () => {
    const { triggerDeps } = await import('../../../functions/triggers/trigger-deps.ts');
    const deps = triggerDeps();
    expect(() => deps.compile({ name: 'x', nodes: [] } as never, deps.compileContext)).toThrow(
      /do not compile/,
    );
    expect(() => deps.resolveWebhookSecrets('ssm:/x')).toThrow(/do not verify webhooks/);
  });
});
