import { describe, expect, it } from 'vitest';
import {
  isValidTimeZone,
  nextFireTimes,
  parseSchedule,
  type ScheduleSpec,
  toEventBridgeExpression,
} from '../../../lib/workflow/schedule-expression.ts';

function spec(config: Parameters<typeof parseSchedule>[0]): ScheduleSpec {
  const parsed = parseSchedule(config);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.spec;
}
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('parseSchedule', () => {
  it('takes EventBridge 6-field cron with ?, L, W and #', () => {
    for (const cron of [
      '0 2 * * ? *',
      '0 9 ? * MON-FRI *',
      '15 10 L * ? *',
      '0 8 15W * ? *',
      '0 8 LW * ? 2026-2030',
      '0 12 ? * 6#3 *',
      '0 12 ? * 2L *',
      '*/10 * * JAN,JUL ? *',
    ]) {
      expect(parseSchedule({ cron }), cron).toEqual({
        spec: { kind: 'cron', expression: cron, timezone: 'UTC' },
      });
    }
  });
  it('strips cron(...) and converts the 5-field form', () => {
    expect(spec({ cron: 'cron(0 2 * * ? *)' })).toMatchObject({ expression: '0 2 * * ? *' });
    expect(spec({ cron: '*/15 9 * * 1-5' })).toMatchObject({ expression: '*/15 9 ? * MON-FRI *' });
    expect(spec({ cron: '0 0 1 * *' })).toMatchObject({ expression: '0 0 1 * ? *' });
    expect(spec({ cron: '0 9 * * 7' })).toMatchObject({ expression: '0 9 ? * SUN *' });
    expect(spec({ cron: '0 9 * * 5-7' })).toMatchObject({ expression: '0 9 ? * FRI-SAT,SUN *' });
  });
  it('rejects bad crons with a message naming the problem', () => {
    const error = (cron: string) => {
      const parsed = parseSchedule({ cron });
      return 'error' in parsed ? `${parsed.field}: ${parsed.error}` : 'ok';
    };
    expect(error('0 2 * *')).toMatch(/^cron: .*has 4 fields/);
    expect(error('0 2 * * * *')).toMatch(/exactly one of day-of-month and day-of-week must be "\?"/);
    expect(error('0 2 ? * ? *')).toMatch(/exactly one of/);
    expect(error('0 25 * * ? *')).toMatch(/^cron: cron\(0 25 \* \* \? \*\): .*0-23/);
    expect(error('0 2 ? * 0 *')).toMatch(/day-of-week 0 is out of range 1-7/);
    expect(error('0 2 * * ? 1969')).toMatch(/1970-2199/);
    expect(error('0 2 1 * 1')).toMatch(/cannot restrict both/);
    expect(error('0 2 32W * ? *')).toMatch(/"W" takes one day/);
  });
  it('takes rates and normalises the unit', () => {
    expect(spec({ rate: 'rate(5 minutes)' })).toEqual({
      kind: 'rate',
      value: 5,
      unit: 'minutes',
      timezone: 'UTC',
    });
    expect(spec({ rate: '1 hours' })).toMatchObject({ value: 1, unit: 'hour' });
    expect(spec({ rate: '2 day' })).toMatchObject({ value: 2, unit: 'days' });
    expect(parseSchedule({ rate: '0 minutes' })).toMatchObject({ field: 'rate' });
    expect(parseSchedule({ rate: 'every minute' })).toMatchObject({ field: 'rate' });
  });
  it('takes one-time schedules and checks the date is real', () => {
    expect(spec({ at: 'at(2026-12-01T10:00:00)', timezone: 'Europe/Berlin' })).toEqual({
      kind: 'at',
      at: '2026-12-01T10:00:00',
      timezone: 'Europe/Berlin',
    });
    expect(parseSchedule({ at: '2026-02-29T10:00:00' })).toMatchObject({ field: 'at' });
    expect(parseSchedule({ at: '2026-12-01T10:00:00Z' })).toMatchObject({ field: 'at' });
  });
  it('wants exactly one kind and a valid IANA time zone', () => {
    expect(parseSchedule({})).toMatchObject({ field: 'cron' });
    expect(parseSchedule({ cron: '0 2 * * ? *', at: '2026-12-01T10:00:00' })).toMatchObject({ field: 'at' });
    expect(parseSchedule({ rate: '5 minutes', timezone: 'Mars/Olympus' })).toMatchObject({
      field: 'timezone',
    });
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('toEventBridgeExpression', () => {
  it('renders each kind', () => {
    expect(toEventBridgeExpression(spec({ cron: '0 2 * * *' }))).toBe('cron(0 2 * * ? *)');
    expect(toEventBridgeExpression(spec({ rate: '5 minutes' }))).toBe('rate(5 minutes)');
    expect(toEventBridgeExpression(spec({ at: '2026-12-01T10:00:00' }))).toBe('at(2026-12-01T10:00:00)');
  });
});

describe('nextFireTimes: cron', () => {
  const berlin = (cron: string) => spec({ cron, timezone: 'Europe/Berlin' });
  it('skips a time inside the spring-forward gap (2026-03-29 has no 02:00 in Berlin)', () => {
    expect(iso(nextFireTimes(berlin('0 2 * * ? *'), new Date('2026-03-27T12:00:00Z'), 3))).toEqual([
      '2026-03-28T01:00:00.000Z', // 02:00 CET
      '2026-03-30T00:00:00.000Z', // 02:00 CEST; nothing on the 29th
      '2026-03-31T00:00:00.000Z',
    ]);
  });
  it('fires a repeated autumn time once, at its first occurrence', () => {
    expect(iso(nextFireTimes(berlin('30 2 * * ? *'), new Date('2026-10-24T12:00:00Z'), 2))).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; not again at 02:30 CET (01:30Z)
      '2026-10-26T01:30:00.000Z',
    ]);
    expect(iso(nextFireTimes(berlin('0 * * * ? *'), new Date('2026-10-24T23:30:00Z'), 3))).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T02:00:00.000Z', // 03:00 CET
      '2026-10-25T03:00:00.000Z',
    ]);
  });
  it('skips the whole repeated hour for sub-hourly schedules', () => {
    expect(iso(nextFireTimes(berlin('*/15 * * * ? *'), new Date('2026-10-25T00:40:00Z'), 2))).toEqual([
      '2026-10-25T00:45:00.000Z', // 02:45 CEST; 02:00-02:45 CET (01:00Z-01:45Z) already happened
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
    expect(iso(nextFireTimes(berlin('0 * * * ? *'), new Date('2026-10-25T00:30:00Z'), 1))).toEqual([
      '2026-10-25T02:00:00.000Z', // `after` is 02:30 CEST: 02:00 CET is a repeat
    ]);
  });
  it('keeps hourly schedules running across the gap', () => {
    expect(iso(nextFireTimes(berlin('0 * * * ? *'), new Date('2026-03-28T23:30:00Z'), 3))).toEqual([
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-29T02:00:00.000Z',
    ]);
  });
  it('is strictly after `after`', () => {
    expect(iso(nextFireTimes(berlin('0 2 * * ? *'), new Date('2026-03-28T01:00:00Z'), 1))).toEqual([
      '2026-03-30T00:00:00.000Z',
    ]);
  });
  it('maps EventBridge weekdays (1 = SUN) and handles L, W, # and years', () => {
    const after = new Date('2026-03-27T12:00:00Z'); // a Friday
    expect(iso(nextFireTimes(spec({ cron: '0 9 ? * 2 *' }), after, 1))).toEqual(['2026-03-30T09:00:00.000Z']); // Monday
    expect(iso(nextFireTimes(spec({ cron: '0 9 ? * L *' }), after, 1))).toEqual(['2026-03-28T09:00:00.000Z']); // Saturday
    expect(iso(nextFireTimes(spec({ cron: '0 9 ? * 6L *' }), after, 1))).toEqual([
      '2026-04-24T09:00:00.000Z',
    ]); // last Friday
    expect(iso(nextFireTimes(spec({ cron: '0 9 ? * 3#2 *' }), after, 1))).toEqual([
      '2026-04-14T09:00:00.000Z',
    ]); // 2nd Tuesday
    expect(iso(nextFireTimes(spec({ cron: '0 9 LW * ? *' }), after, 3))).toEqual([
      '2026-03-31T09:00:00.000Z',
      '2026-04-30T09:00:00.000Z',
      '2026-05-29T09:00:00.000Z', // the 31st is a Sunday
    ]);
    expect(iso(nextFireTimes(spec({ cron: '0 9 1W * ? *' }), after, 2))).toEqual([
      '2026-04-01T09:00:00.000Z',
      '2026-05-01T09:00:00.000Z',
    ]);
    expect(iso(nextFireTimes(spec({ cron: '0 9 15W * ? *' }), new Date('2026-02-01T00:00:00Z'), 2))).toEqual([
      '2026-02-16T09:00:00.000Z', // the 15th is a Sunday
      '2026-03-16T09:00:00.000Z',
    ]);
    expect(iso(nextFireTimes(spec({ cron: '0 0 1 1 ? 2030,2032' }), after, 3))).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2032-01-01T00:00:00.000Z',
    ]);
  });
  it('respects startDate and endDate', () => {
    const daily = spec({ cron: '0 12 * * ? *' });
    const bounds = { startDate: new Date('2026-04-01T00:00:00Z'), endDate: new Date('2026-04-03T12:00:00Z') };
    expect(iso(nextFireTimes(daily, new Date('2026-03-01T00:00:00Z'), 5, bounds))).toEqual([
      '2026-04-01T12:00:00.000Z',
      '2026-04-02T12:00:00.000Z',
      '2026-04-03T12:00:00.000Z',
    ]);
  });
});

describe('nextFireTimes: rate and at', () => {
  it('counts a rate from after, or from startDate', () => {
    const rate = spec({ rate: 'rate(10 minutes)' });
    expect(iso(nextFireTimes(rate, new Date('2026-01-01T00:00:00Z'), 2))).toEqual([
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:20:00.000Z',
    ]);
    const startDate = new Date('2026-01-01T00:05:00Z');
    expect(iso(nextFireTimes(rate, new Date('2026-01-01T00:20:00Z'), 2, { startDate }))).toEqual([
      '2026-01-01T00:25:00.000Z',
      '2026-01-01T00:35:00.000Z',
    ]);
    expect(iso(nextFireTimes(rate, new Date('2026-01-01T00:00:00Z'), 2, { startDate }))).toEqual([
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:15:00.000Z',
    ]);
  });
  it('fires an at once, in its time zone, and never when past', () => {
    const at = spec({ at: 'at(2026-12-01T10:00:00)', timezone: 'Europe/Berlin' });
    expect(iso(nextFireTimes(at, new Date('2026-01-01T00:00:00Z'), 5))).toEqual(['2026-12-01T09:00:00.000Z']);
    expect(nextFireTimes(at, new Date('2026-12-01T09:00:00Z'), 5)).toEqual([]);
    const summer = spec({ at: '2026-07-01T10:00:00', timezone: 'America/New_York' });
    expect(iso(nextFireTimes(summer, new Date('2026-01-01T00:00:00Z'), 1))).toEqual([
      '2026-07-01T14:00:00.000Z',
    ]);
  });
});
