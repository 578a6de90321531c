import { CronExpressionParser } from 'cron-parser';

/**
 * Schedule expressions of `schedule` triggers, in the forms EventBridge Scheduler takes:
 * `cron(min hour day-of-month month day-of-week year)`, `rate(5 minutes)` and `at(2026-12-01T10:00:00)`,
 * each in an IANA time zone. The common 5-field cron form is accepted and converted.
 *
 * Daylight saving time follows EventBridge Scheduler: a cron time that falls into a spring-forward
 * gap does not exist that day and is skipped (`0 2 * * ? *` in Europe/Berlin does not fire on
 * 2026-03-29); a wall-clock time repeated in the autumn fires once, at its first occurrence (so
 * `0 * * * ? *` fires at 02:00 CEST on 2026-10-25 but not again at 02:00 CET an hour later).
 * `rate` schedules are plain intervals of elapsed time, unaffected by DST.
 */

export type RateUnit = 'minute' | 'minutes' | 'hour' | 'hours' | 'day' | 'days';

/** A parsed schedule. `cron.expression` is the EventBridge 6-field form (`0 2 * * ? *`). */
export type ScheduleSpec =
  | { kind: 'cron'; expression: string; timezone: string }
  | { kind: 'rate'; value: number; unit: RateUnit; timezone: string }
  | { kind: 'at'; at: string; timezone: string };

/** Which config field a schedule error is about. */
export type ScheduleField = 'cron' | 'rate' | 'at' | 'timezone';

/** The schedule fields of a `schedule` trigger's config. */
export interface ScheduleConfig {
  cron?: string;
  rate?: string;
  at?: string;
  timezone?: string;
}

const MAX_YEAR = 2199;
const MIN_YEAR = 1970;
const MAX_CANDIDATES = 100_000;

/** True when `timeZone` is a time zone this runtime knows (IANA names such as `Europe/Berlin`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses the schedule of a `schedule` trigger: exactly one of `cron`, `rate`, `at`, and an optional
 * `timezone` (default `UTC`). Never throws: returns the spec, or an error naming the field at fault.
 */
export function parseSchedule(
  config: ScheduleConfig,
): { spec: ScheduleSpec } | { error: string; field: ScheduleField } {
  const timezone = config.timezone ?? 'UTC';
  if (!isValidTimeZone(timezone)) {
    return {
      error: `unknown time zone "${timezone}" (use an IANA name such as "Europe/Berlin" or "UTC")`,
      field: 'timezone',
    };
  }
  const given = (['cron', 'rate', 'at'] as const).filter((key) => config[key] !== undefined);
  if (given.length === 0) return { error: 'a schedule needs one of "cron", "rate" or "at"', field: 'cron' };
  if (given.length > 1) {
    return {
      error: `a schedule takes only one of "cron", "rate" or "at" (found ${given.join(', ')})`,
      field: given[1] as ScheduleField,
    };
  }
  try {
    if (config.cron !== undefined) return { spec: parseCron(config.cron, timezone) };
    if (config.rate !== undefined) return { spec: parseRate(config.rate, timezone) };
    return { spec: parseAt(config.at ?? '', timezone) };
  } catch (error) {
    if (error instanceof ScheduleSyntaxError)
      return { error: error.message, field: given[0] as ScheduleField };
    throw error;
  }
}

/** The expression as EventBridge Scheduler takes it: `cron(0 2 * * ? *)`, `rate(5 minutes)`, `at(2026-12-01T10:00:00)`. */
export function toEventBridgeExpression(spec: ScheduleSpec): string {
  switch (spec.kind) {
    case 'cron':
      return `cron(${spec.expression})`;
    case 'rate':
      return `rate(${spec.value} ${spec.unit})`;
    case 'at':
      return `at(${spec.at})`;
  }
}

/**
 * The next `count` instants at which the schedule fires, strictly after `after`, no earlier than
 * `bounds.startDate` and no later than `bounds.endDate`. Cron times are wall-clock times in the
 * spec's time zone (DST handled as described at the top of this file); a `rate` counts whole
 * intervals from `startDate` (or from `after` when there is none); an `at` fires once.
 */
export function nextFireTimes(
  spec: ScheduleSpec,
  after: Date,
  count: number,
  bounds: { startDate?: Date; endDate?: Date } = {},
): Date[] {
  if (count <= 0 || Number.isNaN(after.getTime())) return [];
  const endMs = bounds.endDate?.getTime() ?? Number.POSITIVE_INFINITY;
  const startMs = bounds.startDate?.getTime();
  // Strictly after `after` and at or after `startDate`: move the lower bound to just before startDate.
  const fromMs = startMs !== undefined && startMs - 1 > after.getTime() ? startMs - 1 : after.getTime();
  switch (spec.kind) {
    case 'at': {
      const at = zonedToUtc(parseLocalTimestamp(spec.at), spec.timezone);
      return at > fromMs && at <= endMs ? [new Date(at)] : [];
    }
    case 'rate': {
      const step = spec.value * UNIT_MS[spec.unit];
      const anchor = startMs ?? after.getTime();
      const first = anchor > fromMs ? 0 : Math.floor((fromMs - anchor) / step) + 1;
      const out: Date[] = [];
      for (let k = first; out.length < count; k++) {
        const t = anchor + k * step;
        if (t > endMs) break;
        out.push(new Date(t));
      }
      return out;
    }
    case 'cron':
      return cronFireTimes(spec, fromMs, endMs, count);
  }
}

class ScheduleSyntaxError extends Error {
  override name = 'ScheduleSyntaxError';
}

const UNIT_MS: Record<RateUnit, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

function parseRate(source: string, timezone: string): ScheduleSpec {
  const text = source.trim();
  const inner = /^rate\((.*)\)$/s.exec(text)?.[1] ?? text;
  const match = /^\s*(\d{1,9})\s+(minutes?|hours?|days?)\s*$/i.exec(inner);
  if (!match) {
    throw new ScheduleSyntaxError(
      `"${source}" is not a rate: write "rate(5 minutes)" or "5 minutes" (units: minute(s), hour(s), day(s))`,
    );
  }
  const value = Number(match[1]);
  if (value < 1) throw new ScheduleSyntaxError(`rate "${source}": the value must be a positive whole number`);
  const base = (match[2] as string).toLowerCase().replace(/s$/, '');
  // EventBridge wants "1 minute" and "5 minutes": normalise the unit rather than reject it.
  const unit = (value === 1 ? base : `${base}s`) as RateUnit;
  return { kind: 'rate', value, unit, timezone };
}

function parseAt(source: string, timezone: string): ScheduleSpec {
  const text = source.trim();
  const at = /^at\((.*)\)$/s.exec(text)?.[1]?.trim() ?? text;
  parseLocalTimestamp(at, source);
  return { kind: 'at', at, timezone };
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function parseLocalTimestamp(text: string, source = text): LocalTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  const fail = (): never => {
    throw new ScheduleSyntaxError(
      `"${source}" is not a one-time schedule: write "at(yyyy-mm-ddThh:mm:ss)" in local time of the time zone, without an offset`,
    );
  };
  if (!m) return fail();
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    probe.getUTCFullYear() !== year ||
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day ||
    probe.getUTCHours() !== hour ||
    probe.getUTCMinutes() !== minute ||
    probe.getUTCSeconds() !== second
  ) {
    throw new ScheduleSyntaxError(`"${source}" is not a real date and time`);
  }
  return { year, month, day, hour, minute, second };
}

// ---- cron -------------------------------------------------------------------------------------

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The parts of a checked EventBridge cron expression that cron-parser cannot handle itself. */
interface CronPlan {
  /** The cron-parser expression (with seconds, without year; `W` days replaced by `*`). */
  parserExpression: string;
  years: (year: number) => boolean;
  /** Smallest year the year field allows that is >= the given year, or undefined. */
  nextYear: (year: number) => number | undefined;
  weekday?: { kind: 'nearest'; day: number } | { kind: 'last' };
  hours: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
}

const planCache = new Map<string, CronPlan>();

function parseCron(source: string, timezone: string): ScheduleSpec {
  const text = source.trim();
  const inner = /^cron\((.*)\)$/s.exec(text)?.[1] ?? text;
  const fields = inner.trim().split(/\s+/);
  let six: string[];
  if (fields.length === 6) six = fields;
  else if (fields.length === 5)
    six = fromFiveFields(fields as [string, string, string, string, string], source);
  else {
    throw new ScheduleSyntaxError(
      `cron "${source}" has ${fields.length} fields; write 6 (minute hour day-of-month month day-of-week year, as in "0 2 * * ? *") or the common 5`,
    );
  }
  const expression = six.join(' ');
  planCron(expression, timezone);
  return { kind: 'cron', expression, timezone };
}

/** `m h dom mon dow` → `m h dom mon dow *`, with one day field turned into `?` and weekdays as names. */
function fromFiveFields(fields: [string, string, string, string, string], source: string): string[] {
  const [minute, hour, dom, month, dow] = fields;
  // `5-7` (Friday to Sunday, 7 being Sunday again) becomes `5-6,0` so the names stay an ascending range.
  const unwrapped = dow.replace(/(^|,)([0-6])-7(?=$|,)/g, (_m, lead: string, from: string) =>
    from === '6' ? `${lead}6,0` : `${lead}${from}-6,0`,
  );
  const dowNamed =
    dow === '*' || dow === '?' ? dow : mapDayNumbers(unwrapped, (n) => DAY_NAMES[n % 7], 0, 7, source);
  let domOut = dom;
  let dowOut = dowNamed;
  if (dow === '*' || dow === '?') dowOut = '?';
  else if (dom === '*' || dom === '?') domOut = '?';
  else {
    throw new ScheduleSyntaxError(
      `cron "${source}": EventBridge cannot restrict both day-of-month and day-of-week; set one of them to "*"`,
    );
  }
  return [minute, hour, domOut, month, dowOut, '*'];
}

/** Rewrites the day numbers of a day-of-week field (`1-5`, `2#3`, `6L`), leaving names and wildcards. */
function mapDayNumbers(
  field: string,
  map: (n: number) => string | undefined,
  min: number,
  max: number,
  source: string,
): string {
  return field.replace(/(^|[,\-/#])(\d+)/g, (whole, lead: string, digits: string, offset: number) => {
    // The number after `#` is "which occurrence", and after `/` a step: not a day.
    if (lead === '#' || lead === '/') return whole;
    const n = Number(digits);
    const mapped = n >= min && n <= max ? map(n) : undefined;
    if (mapped === undefined) {
      throw new ScheduleSyntaxError(
        `cron "${source}": day-of-week ${n} is out of range ${min}-${max} (at "${field.slice(offset)}")`,
      );
    }
    return `${lead}${mapped}`;
  });
}

function planCron(expression: string, timezone: string): CronPlan {
  const key = expression;
  // The time zone was checked by parseSchedule; the plan depends on the expression only.
  const cached = planCache.get(key);
  if (cached) return cached;
  const [minute, hour, dom, month, dow, year] = expression.split(' ') as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const source = `cron(${expression})`;
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleSyntaxError(
      `${source}: exactly one of day-of-month and day-of-week must be "?" (as in "0 2 * * ? *" or "0 9 ? * MON-FRI *")`,
    );
  }
  if (/[?]/.test(minute + hour + month + year)) {
    throw new ScheduleSyntaxError(`${source}: "?" is only allowed in day-of-month or day-of-week`);
  }
  let weekday: CronPlan['weekday'];
  let domOut = dom === '?' ? '*' : dom;
  if (dom.includes('W')) {
    const w = /^(?:(\d{1,2})W|LW)$/.exec(dom);
    const day = w?.[1] === undefined ? undefined : Number(w[1]);
    if (!w || (day !== undefined && (day < 1 || day > 31))) {
      throw new ScheduleSyntaxError(`${source}: "W" takes one day of the month, as in "15W", or "LW"`);
    }
    weekday = day === undefined ? { kind: 'last' } : { kind: 'nearest', day };
    domOut = '*';
  }
  let dowOut = dow;
  if (dow === '?') dowOut = '*';
  else if (dow === 'L') dowOut = '6';
  else {
    if (dow.includes('/')) throw new ScheduleSyntaxError(`${source}: day-of-week does not take "/" steps`);
    // EventBridge counts weekdays 1 (SUN) to 7 (SAT); cron-parser 0 (SUN) to 6 (SAT).
    dowOut = mapDayNumbers(dow, (n) => String(n - 1), 1, 7, source);
  }
  const { years, nextYear } = parseYearField(year, source);
  const parserExpression = `0 ${minute} ${hour} ${domOut} ${month} ${dowOut}`;
  const parsed = testParse(parserExpression, timezone, expression);
  const plan: CronPlan = {
    parserExpression,
    years,
    nextYear,
    hours: new Set(parsed.fields.hour.values.map(Number)),
    minutes: new Set(parsed.fields.minute.values.map(Number)),
  };
  if (weekday) plan.weekday = weekday;
  if (planCache.size > 1000) planCache.clear();
  planCache.set(key, plan);
  return plan;
}

function testParse(parserExpression: string, timezone: string, expression: string) {
  try {
    return CronExpressionParser.parse(parserExpression, { tz: timezone, currentDate: new Date(0) });
  } catch (error) {
    throw new ScheduleSyntaxError(`cron(${expression}): ${(error as Error).message}`);
  }
}

function parseYearField(
  field: string,
  source: string,
): { years: (y: number) => boolean; nextYear: (y: number) => number | undefined } {
  const allowed = new Set<number>();
  for (const item of field.split(',')) {
    const m = /^(\*|(\d{4})(?:-(\d{4}))?)(?:\/(\d{1,3}))?$/.exec(item);
    if (!m) throw new ScheduleSyntaxError(`${source}: year "${item}" is not a year, range or step`);
    const from = m[2] === undefined ? MIN_YEAR : Number(m[2]);
    const to = m[3] !== undefined ? Number(m[3]) : m[2] === undefined || m[4] !== undefined ? MAX_YEAR : from;
    const step = m[4] === undefined ? 1 : Number(m[4]);
    if (from < MIN_YEAR || to > MAX_YEAR || from > to || step < 1) {
      throw new ScheduleSyntaxError(`${source}: year "${item}" must lie within ${MIN_YEAR}-${MAX_YEAR}`);
    }
    for (let y = from; y <= to; y += step) allowed.add(y);
  }
  const sorted = [...allowed].sort((a, b) => a - b);
  return {
    years: (y) => allowed.has(y),
    nextYear: (y) => sorted.find((candidate) => candidate >= y),
  };
}

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function localParts(ms: number, timeZone: string): LocalTime & { weekday: number } {
  let format = partFormatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    partFormatters.set(timeZone, format);
  }
  const out: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(ms))) out[part.type] = part.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour),
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: DAY_NAMES.indexOf((out.weekday ?? '').toUpperCase()),
  };
}

/** The UTC instant of a wall-clock time in `timeZone` (a time in a DST gap maps to the instant after it). */
function zonedToUtc(local: LocalTime, timeZone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  const offsetAt = (ms: number): number => {
    const p = localParts(ms, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
  };
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}

function matchesWeekday(plan: CronPlan, p: { year: number; month: number; day: number }): boolean {
  if (!plan.weekday) return true;
  const daysInMonth = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
  const dow = (d: number): number => new Date(Date.UTC(p.year, p.month - 1, d)).getUTCDay();
  let target: number;
  if (plan.weekday.kind === 'last') {
    target = daysInMonth;
    const w = dow(target);
    if (w === 6) target -= 1;
    else if (w === 0) target -= 2;
  } else {
    target = plan.weekday.day;
    if (target > daysInMonth) return false;
    const w = dow(target);
    // The nearest weekday, never leaving the month (Quartz / EventBridge semantics).
    if (w === 6) target = target === 1 ? 3 : target - 1;
    else if (w === 0) target = target === daysInMonth ? target - 2 : target + 1;
  }
  return p.day === target;
}

function cronFireTimes(
  spec: Extract<ScheduleSpec, { kind: 'cron' }>,
  fromMs: number,
  endMs: number,
  count: number,
): Date[] {
  const plan = planCron(spec.expression, spec.timezone);
  const out: Date[] = [];
  let iterator = CronExpressionParser.parse(plan.parserExpression, {
    tz: spec.timezone,
    currentDate: new Date(fromMs),
  });
  // Wall-clock time only goes backwards in an autumn fall-back: a candidate whose local time is not
  // after the latest one seen (starting from `after` itself) repeats a time that already fired.
  const start = localParts(fromMs, spec.timezone);
  let latestWall = Date.UTC(start.year, start.month - 1, start.day, start.hour, start.minute, start.second);
  for (let n = 0; n < MAX_CANDIDATES && out.length < count; n++) {
    let next: ReturnType<typeof iterator.next>;
    try {
      next = iterator.next();
    } catch {
      break;
    }
    const ms = next.getTime();
    if (ms > endMs) break;
    if (ms <= fromMs) continue;
    // CronDate's getters read the local time in the spec's zone.
    const p = { year: next.getFullYear(), month: next.getMonth() + 1, day: next.getDate() };
    const hour = next.getHours();
    const minute = next.getMinutes();
    if (!plan.years(p.year)) {
      const year = plan.nextYear(p.year);
      if (year === undefined) break;
      // Jump to the start of the next allowed year instead of walking through the years between.
      const jump =
        zonedToUtc({ year, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, spec.timezone) - 1000;
      iterator = CronExpressionParser.parse(plan.parserExpression, {
        tz: spec.timezone,
        currentDate: new Date(Math.max(jump, fromMs)),
      });
      continue;
    }
    const wall = Date.UTC(p.year, p.month - 1, p.day, hour, minute);
    if (wall <= latestWall) continue;
    latestWall = wall;
    // cron-parser moves a time inside a spring-forward gap to the hour after it; EventBridge skips it.
    if (!plan.hours.has(hour) || !plan.minutes.has(minute)) continue;
    if (!matchesWeekday(plan, p)) continue;
    out.push(new Date(ms));
  }
  return out;
}
