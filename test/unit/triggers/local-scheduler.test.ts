import { describe, expect, it } from 'vitest';
import { createLocalScheduler } from '../../../lib/triggers/local-scheduler.ts';
import { toScheduleTrigger } from '../../../lib/triggers/schedules.ts';
import { FakeClock, fakeFiredMarks, fakeStartExecution } from './fakes.ts';

const flow = { tenantId: 'default', flowId: 'nightly-flow', version: 2 };

function setup(start: string, marks = fakeFiredMarks(), fake = fakeStartExecution()) {
  const clock = new FakeClock(start);
  const errors: unknown[] = [];
  const scheduler = createLocalScheduler({
    clock,
    firedMarks: marks,
    startExecution: fake.startExecution,
    onError: (error) => errors.push(error),
  });
  const advanceTo = (target: string) => clock.advanceTo(target, () => scheduler.idle());
  const firedAt = () => fake.calls.map((call) => call.idempotencyKey.split(':').slice(3).join(':'));
  return { clock, scheduler, marks, fake, errors, advanceTo, firedAt };
}

describe('local scheduler: cron in Europe/Berlin across DST', () => {
  const triggers = [
    toScheduleTrigger('at0200', { cron: '0 2 * * ? *', timezone: 'Europe/Berlin' }),
    toScheduleTrigger('at0230', { cron: '30 2 * * ? *', timezone: 'Europe/Berlin', input: { kind: 'late' } }),
  ];

  it('spring forward (2026-03-29): 02:00 and 02:30 do not exist that day and are skipped', async () => {
    const { scheduler, fake, advanceTo } = setup('2026-03-27T12:00:00Z');
    await scheduler.register(flow, triggers);
    await advanceTo('2026-03-31T12:00:00Z');
    const byTrigger = (id: string) =>
      fake.calls.filter((call) => call.trigger.id === id).map((call) => call.idempotencyKey);
    expect(byTrigger('at0200')).toEqual([
      'schedule:nightly-flow:at0200:2026-03-28T01:00:00.000Z', // 02:00 CET
      'schedule:nightly-flow:at0200:2026-03-30T00:00:00.000Z', // 02:00 CEST
      'schedule:nightly-flow:at0200:2026-03-31T00:00:00.000Z',
    ]);
    expect(byTrigger('at0230')).toEqual([
      'schedule:nightly-flow:at0230:2026-03-28T01:30:00.000Z',
      'schedule:nightly-flow:at0230:2026-03-30T00:30:00.000Z',
      'schedule:nightly-flow:at0230:2026-03-31T00:30:00.000Z',
    ]);
    expect(fake.calls[1]).toEqual({
      tenantId: 'default',
      flowId: 'nightly-flow',
      version: 2,
      input: { kind: 'late' },
      trigger: { id: 'at0230', type: 'schedule' },
      idempotencyKey: 'schedule:nightly-flow:at0230:2026-03-28T01:30:00.000Z',
    });
  });

  it('fall back (2026-10-25): the repeated hour fires once, at its first occurrence', async () => {
    const { scheduler, fake, advanceTo } = setup('2026-10-23T12:00:00Z');
    await scheduler.register(flow, triggers);
    await advanceTo('2026-10-26T12:00:00Z');
    expect(fake.calls.map((call) => call.idempotencyKey)).toEqual([
      'schedule:nightly-flow:at0200:2026-10-24T00:00:00.000Z', // 02:00 CEST
      'schedule:nightly-flow:at0230:2026-10-24T00:30:00.000Z',
      'schedule:nightly-flow:at0200:2026-10-25T00:00:00.000Z', // 02:00 CEST, first of the two 02:00s
      'schedule:nightly-flow:at0230:2026-10-25T00:30:00.000Z',
      'schedule:nightly-flow:at0200:2026-10-26T01:00:00.000Z', // 02:00 CET
      'schedule:nightly-flow:at0230:2026-10-26T01:30:00.000Z',
    ]);
  });
});

describe('local scheduler: restarts and exactly-once', () => {
  const hourly = [toScheduleTrigger('hourly', { cron: '0 * * * ? *', timezone: 'Europe/Berlin' })];

  it('a restart between two ticks neither double-fires nor skips', async () => {
    const marks = fakeFiredMarks();
    const fake = fakeStartExecution();
    const first = setup('2026-06-01T09:30:00Z', marks, fake);
    await first.scheduler.register(flow, hourly);
    await first.advanceTo('2026-06-01T10:10:00Z');
    first.scheduler.stop();
    // A new instance sharing the store, started between 10:00 and 11:00.
    const second = setup('2026-06-01T10:20:00Z', marks, fake);
    await second.scheduler.register(flow, hourly);
    await second.scheduler.idle();
    expect(fake.calls).toHaveLength(1);
    await second.advanceTo('2026-06-01T11:05:00Z');
    expect(fake.calls.map((call) => call.idempotencyKey)).toEqual([
      'schedule:nightly-flow:hourly:2026-06-01T10:00:00.000Z',
      'schedule:nightly-flow:hourly:2026-06-01T11:00:00.000Z',
    ]);
  });

  it('a restart exactly at a tick, with the old instance still running, starts that tick once', async () => {
    const marks = fakeFiredMarks();
    const fake = fakeStartExecution();
    const a = setup('2026-06-01T09:30:00Z', marks, fake);
    const b = setup('2026-06-01T09:45:00Z', marks, fake);
    await a.scheduler.register(flow, hourly);
    await b.scheduler.register(flow, hourly);
    await Promise.all([a.advanceTo('2026-06-01T10:00:00Z'), b.advanceTo('2026-06-01T10:00:00Z')]);
    // The old instance dies; the new one restarts right at the tick it already saw.
    a.scheduler.stop();
    const c = setup('2026-06-01T10:00:00Z', marks, fake);
    await c.scheduler.register(flow, hourly);
    await c.scheduler.idle();
    expect(fake.calls.map((call) => call.idempotencyKey)).toEqual([
      'schedule:nightly-flow:hourly:2026-06-01T10:00:00.000Z',
    ]);
  });

  it('after downtime over several ticks it fires only the most recent missed one, then goes on', async () => {
    const marks = fakeFiredMarks();
    const fake = fakeStartExecution();
    const before = setup('2026-06-01T09:30:00Z', marks, fake);
    await before.scheduler.register(flow, hourly);
    await before.advanceTo('2026-06-01T10:10:00Z');
    before.scheduler.stop();
    const after = setup('2026-06-01T14:20:00Z', marks, fake);
    await after.scheduler.register(flow, hourly);
    await after.scheduler.idle();
    await after.advanceTo('2026-06-01T15:00:00Z');
    expect(after.firedAt()).toEqual([
      '2026-06-01T10:00:00.000Z',
      '2026-06-01T14:00:00.000Z',
      '2026-06-01T15:00:00.000Z',
    ]);
  });

  it('a schedule that never fired has nothing to catch up', async () => {
    const { scheduler, fake } = setup('2026-06-01T09:30:00Z');
    await scheduler.register(flow, hourly);
    await scheduler.idle();
    expect(fake.calls).toEqual([]);
    expect(scheduler.pending()).toEqual([
      {
        tenantId: 'default',
        flowId: 'nightly-flow',
        triggerId: 'hourly',
        next: new Date('2026-06-01T10:00:00Z'),
      },
    ]);
  });

  it('a timer that fires late (machine slept) fires only the most recent due instant', async () => {
    const { scheduler, clock, firedAt } = setup('2026-06-01T09:30:00Z');
    await scheduler.register(flow, hourly);
    // Jump the clock without running timers, then let the (late) timer run.
    (clock as unknown as { current: number }).current = Date.parse('2026-06-01T12:30:00Z');
    await clock.advanceTo('2026-06-01T12:30:00Z', () => scheduler.idle());
    expect(firedAt()).toEqual(['2026-06-01T12:00:00.000Z']);
    expect(scheduler.pending()[0]?.next).toEqual(new Date('2026-06-01T13:00:00Z'));
  });
});

describe('local scheduler: registration', () => {
  it('a new version replaces, removes and adds schedules; unregister stops them all', async () => {
    const { scheduler, fake, advanceTo, clock } = setup('2026-06-01T09:30:00Z');
    await scheduler.register(flow, [
      toScheduleTrigger('a', { rate: 'rate(15 minutes)', startDate: '2026-06-01T09:00:00Z' }),
      toScheduleTrigger('b', { cron: '0 * * * ? *' }),
    ]);
    await scheduler.register({ ...flow, version: 3 }, [
      toScheduleTrigger('a', { rate: 'rate(30 minutes)', startDate: '2026-06-01T09:00:00Z' }),
      toScheduleTrigger('c', { at: 'at(2026-06-01T12:00:00)', timezone: 'Europe/Berlin' }),
    ]);
    expect(clock.pendingTimers).toBe(2);
    await advanceTo('2026-06-01T11:10:00Z');
    expect(
      fake.calls.map((call) => `${call.trigger.id}@${call.idempotencyKey.slice(-13, -8)} v${call.version}`),
    ).toEqual([
      'a@10:00 v3',
      'c@10:00 v3', // at(12:00) Berlin = 10:00Z
      'a@10:30 v3',
      'a@11:00 v3',
    ]);
    await scheduler.unregister('default', 'nightly-flow');
    expect(clock.pendingTimers).toBe(0);
    expect(scheduler.pending()).toEqual([]);
  });

  it('honours enabled: false and endDate; registering the same version twice fires once', async () => {
    const { scheduler, fake, advanceTo } = setup('2026-06-01T09:30:00Z');
    const triggers = [
      toScheduleTrigger('off', { cron: '0 * * * ? *', enabled: false }),
      toScheduleTrigger('ends', { cron: '0 * * * ? *', endDate: '2026-06-01T11:30:00Z' }),
    ];
    await scheduler.register(flow, triggers);
    await scheduler.register(flow, triggers);
    await advanceTo('2026-06-01T14:00:00Z');
    expect(fake.calls.map((call) => call.idempotencyKey)).toEqual([
      'schedule:nightly-flow:ends:2026-06-01T10:00:00.000Z',
      'schedule:nightly-flow:ends:2026-06-01T11:00:00.000Z',
    ]);
  });

  it('a failed start is reported and the schedule goes on', async () => {
    const marks = fakeFiredMarks();
    const clock = new FakeClock('2026-06-01T09:30:00Z');
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = createLocalScheduler({
      clock,
      firedMarks: marks,
      startExecution: async () => {
        calls++;
        if (calls === 1) throw new Error('state machine down');
        return { executionId: 'e', status: 'RUNNING', alreadyStarted: false };
      },
      onError: (error) => errors.push(error),
    });
    await scheduler.register(flow, [toScheduleTrigger('h', { cron: '0 * * * ? *' })]);
    await clock.advanceTo('2026-06-01T11:00:00Z', () => scheduler.idle());
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });
});

describe('local scheduler: rate schedules across restarts', () => {
  it('keep their phase: counted from the last fired instant, with the one missed instant caught up', async () => {
    const marks = fakeFiredMarks();
    const fake = fakeStartExecution();
    const every = [toScheduleTrigger('every', { rate: 'rate(1 hour)' })];
    const before = setup('2026-06-01T10:17:00Z', marks, fake);
    await before.scheduler.register(flow, every);
    await before.advanceTo('2026-06-01T12:20:00Z');
    before.scheduler.stop();
    const after = setup('2026-06-01T13:30:00Z', marks, fake);
    await after.scheduler.register(flow, every);
    await after.scheduler.idle();
    await after.advanceTo('2026-06-01T14:20:00Z');
    expect(after.firedAt()).toEqual([
      '2026-06-01T11:17:00.000Z',
      '2026-06-01T12:17:00.000Z',
      '2026-06-01T13:17:00.000Z', // missed while down, caught up at 13:30
      '2026-06-01T14:17:00.000Z', // same phase as before the restart
    ]);
  });
});
