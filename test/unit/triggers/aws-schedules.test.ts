import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAwsSchedules, flowNamePrefix, scheduleName } from '../../../lib/triggers/aws-schedules.ts';
import { TriggerRegistrationError } from '../../../lib/triggers/errors.ts';
import { toScheduleTrigger } from '../../../lib/triggers/schedules.ts';

const scheduler = mockClient(SchedulerClient);
const options = {
  client: new SchedulerClient({ region: 'eu-central-1' }),
  groupName: 'flowforge-prod',
  targetArn: 'arn:aws:lambda:eu-central-1:111122223333:function:flowforge-schedule-trigger',
  roleArn: 'arn:aws:iam::111122223333:role/flowforge-scheduler',
  deadLetterArn: 'arn:aws:sqs:eu-central-1:111122223333:flowforge-schedules-dlq',
};
const flow = { tenantId: 'acme', flowId: 'orders', version: 1 };
const nightly = toScheduleTrigger('nightly', {
  cron: '0 2 * * ? *',
  timezone: 'Europe/Berlin',
  flexibleWindowMinutes: 15,
  startDate: '2026-04-01T00:00:00Z',
  endDate: '2027-04-01T00:00:00Z',
  input: { report: 'daily' },
});

function sent<T>(command: new (...args: never[]) => T) {
  return scheduler.commandCalls(command as never).map((call) => call.args[0].input);
}

beforeEach(() => {
  scheduler.reset();
  scheduler.on(ListSchedulesCommand).resolves({ Schedules: [] });
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
  scheduler.on(DeleteScheduleCommand).resolves({});
});

describe('AWS schedules adapter', () => {
  it('creates one schedule per trigger with the exact CreateSchedule input', async () => {
    await createAwsSchedules(options).register(flow, [
      nightly,
      toScheduleTrigger('every5', { cron: '*/5 * * * *', enabled: false }),
    ]);
    expect(sent(ListSchedulesCommand)).toEqual([{ GroupName: 'flowforge-prod', NamePrefix: 'acme.orders.' }]);
    expect(sent(CreateScheduleCommand)).toEqual([
      {
        Name: 'acme.orders.nightly',
        GroupName: 'flowforge-prod',
        Description: 'FlowForge acme/orders v1 trigger nightly',
        ScheduleExpression: 'cron(0 2 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Berlin',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
        StartDate: new Date('2026-04-01T00:00:00Z'),
        EndDate: new Date('2027-04-01T00:00:00Z'),
        State: 'ENABLED',
        Target: {
          Arn: options.targetArn,
          RoleArn: options.roleArn,
          Input: JSON.stringify({
            tenantId: 'acme',
            flowId: 'orders',
            triggerId: 'nightly',
            version: 1,
            input: { report: 'daily' },
            scheduledTime: '<aws.scheduler.scheduled-time>',
          }),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: options.deadLetterArn },
        },
      },
      {
        Name: 'acme.orders.every5',
        GroupName: 'flowforge-prod',
        Description: 'FlowForge acme/orders v1 trigger every5',
        ScheduleExpression: 'cron(*/5 * * * ? *)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'DISABLED',
        Target: {
          Arn: options.targetArn,
          RoleArn: options.roleArn,
          Input: expect.stringContaining('"triggerId":"every5"'),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: options.deadLetterArn },
        },
      },
    ]);
    expect(sent(UpdateScheduleCommand)).toEqual([]);
    expect(sent(DeleteScheduleCommand)).toEqual([]);
  });

  it('on a new version updates existing schedules, creates new ones and deletes removed ones', async () => {
    scheduler
      .on(ListSchedulesCommand)
      .resolvesOnce({ Schedules: [{ Name: 'acme.orders.nightly' }], NextToken: 'page2' })
      .resolvesOnce({ Schedules: [{ Name: 'acme.orders.old' }] });
    const hourly = toScheduleTrigger('hourly', { rate: '1 hour' });
    await createAwsSchedules(options).register({ ...flow, version: 2 }, [nightly, hourly]);
    expect(sent(ListSchedulesCommand)).toEqual([
      { GroupName: 'flowforge-prod', NamePrefix: 'acme.orders.' },
      { GroupName: 'flowforge-prod', NamePrefix: 'acme.orders.', NextToken: 'page2' },
    ]);
    const updates = sent(UpdateScheduleCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      Name: 'acme.orders.nightly',
      Description: 'FlowForge acme/orders v2 trigger nightly',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    expect(JSON.parse(updates[0]?.Target?.Input ?? '{}')).toMatchObject({ version: 2 });
    expect(sent(CreateScheduleCommand).map((input) => [input.Name, input.ScheduleExpression])).toEqual([
      ['acme.orders.hourly', 'rate(1 hour)'],
    ]);
    expect(sent(DeleteScheduleCommand)).toEqual([{ Name: 'acme.orders.old', GroupName: 'flowforge-prod' }]);
  });

  it('falls back to UpdateSchedule when CreateSchedule answers ConflictException', async () => {
    scheduler.on(CreateScheduleCommand).rejects(
      new ConflictException({
        message: 'Schedule already exists',
        Message: 'Schedule already exists',
        $metadata: {},
      }),
    );
    await createAwsSchedules(options).register(flow, [nightly]);
    expect(sent(CreateScheduleCommand)).toHaveLength(1);
    expect(sent(UpdateScheduleCommand).map((input) => input.Name)).toEqual(['acme.orders.nightly']);
  });

  it('on flow deletion deletes every schedule of the flow, ignoring ones already gone', async () => {
    scheduler
      .on(ListSchedulesCommand)
      .resolves({ Schedules: [{ Name: 'acme.orders.nightly' }, { Name: 'acme.orders.hourly' }] });
    scheduler
      .on(DeleteScheduleCommand, { Name: 'acme.orders.hourly' })
      .rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));
    await createAwsSchedules(options).unregister('acme', 'orders');
    expect(sent(DeleteScheduleCommand)).toEqual([
      { Name: 'acme.orders.nightly', GroupName: 'flowforge-prod' },
      { Name: 'acme.orders.hourly', GroupName: 'flowforge-prod' },
    ]);
  });

  it('translates other SDK errors into TriggerRegistrationError', async () => {
    scheduler.on(CreateScheduleCommand).rejects(
      new ValidationException({
        message: 'Invalid Schedule Expression',
        Message: 'Invalid Schedule Expression',
        $metadata: {},
      }),
    );
    const error = await createAwsSchedules(options)
      .register(flow, [nightly])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TriggerRegistrationError);
    expect(String((error as Error).message)).toContain('Invalid Schedule Expression');
    expect((error as Error).cause).toBeInstanceOf(ValidationException);
  });

  it('refuses an input too large for a schedule payload', async () => {
    const big = toScheduleTrigger('big', { rate: '5 minutes', input: { blob: 'x'.repeat(9000) } });
    await expect(createAwsSchedules(options).register(flow, [big])).rejects.toThrow(/limit is 8192/);
    expect(sent(CreateScheduleCommand)).toEqual([]);
  });
});

describe('scheduleName', () => {
  it('is readable when it fits and always valid and at most 64 characters', () => {
    expect(scheduleName('acme', 'orders', 'nightly')).toBe('acme.orders.nightly');
    const uuid = '0b6f3c1e-6a6e-4c1f-9f7e-2f0d8f4d2c11';
    const long = scheduleName(
      'default',
      uuid,
      'a-rather-long-trigger-identifier-of-sixty-four-characters-xxxxxx',
    );
    expect(long.startsWith(`default.${uuid}.x`)).toBe(true);
    expect(long).toHaveLength(64);
    const odd = scheduleName('tenant with spaces', uuid, 'nightly');
    expect(odd).toMatch(/^x[0-9a-f]{16}\.nightly$/);
    for (const name of [long, odd]) expect(name).toMatch(/^[0-9a-zA-Z-_.]{1,64}$/);
  });

  it('gives flows whose ids would run together with "-" different prefixes', () => {
    expect(flowNamePrefix('a', 'b-c')).not.toBe(flowNamePrefix('a-b', 'c'));
    expect(scheduleName('a', 'b-c', 'x').startsWith(flowNamePrefix('a-b', 'c'))).toBe(false);
  });
});
