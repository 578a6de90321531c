import type { TriggerStateStorePort } from '../store/types.ts';
import { nextFireTimes, type ScheduleSpec } from '../workflow/schedule-expression.ts';
import { scheduleIdempotencyKey } from './schedule-trigger.ts';
import type { ScheduledFlow, Schedules, ScheduleTrigger } from './schedules.ts';
import type { StartExecutionFn } from './start-execution-port.ts';

/** The clock and timer of the local scheduler; tests inject a controllable one. */
export interface SchedulerClock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock; timers are unref'd so a pending schedule never keeps the process alive. */
export const systemClock: SchedulerClock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface LocalSchedulerOptions {
  clock?: SchedulerClock;
  /** Where fired instants are marked (conditional put) — shared by every scheduler instance. */
  firedMarks: Pick<TriggerStateStorePort, 'markScheduleFired' | 'lastScheduleFired'>;
  startExecution: StartExecutionFn;
  /** Told about a failed mark or start; the schedule goes on with its next instant. */
  onError?: (
    error: unknown,
    context: { tenantId: string; flowId: string; triggerId: string; instant: string },
  ) => void;
}

export interface LocalScheduler extends Schedules {
  /** The registered schedules and their next instant (`null`: disabled or finished). */
  pending(): { tenantId: string; flowId: string; triggerId: string; next: Date | null }[];
  /** Resolves when every fire in progress (mark + start) has finished. */
  idle(): Promise<void>;
  /** Cancels every timer; registrations are dropped. */
  stop(): void;
}

interface Entry {
  flow: ScheduledFlow;
  trigger: ScheduleTrigger;
  timer?: unknown;
  next: Date | null;
}

// Node timers take at most 2^31-1 ms; a later instant is reached in several waits.
const MAX_TIMER_MS = 2_147_483_647;
// Windows searched, most recent first, for the latest missed instant (see `latestInstant`).
const CATCH_UP_WINDOWS_MS = [3_600_000, 86_400_000, 8 * 86_400_000, 32 * 86_400_000, 366 * 86_400_000];

/**
 * The local `Schedules` adapter: keeps the registered schedules in memory (the local server
 * registers every flow's schedules again at start) and fires each instant of `nextFireTimes`
 * in the schedule's time zone.
 *
 * Exactly once across restarts and instances: before starting a run the scheduler marks the
 * instant with `markScheduleFired` (a conditional write in the shared store) and starts only if
 * the mark was new; the run's idempotency key comes from the instant as well.
 *
 * Missed instants (the server was down, or the machine slept): when a schedule is registered
 * or a timer fires late, the scheduler fires at most ONE missed instant — the most recent one
 * after the last fired instant — and then goes on with the future ones. A schedule that never
 * fired before has nothing to catch up. This is anacron's policy: a nightly job runs once
 * after a week of downtime, not seven times. The store keeps fired marks 14 days, so after a
 * longer downtime there is nothing to catch up either.
 *
 * A `rate` schedule without `startDate` counts from its last fired instant (from its
 * registration when it never fired), so a restart does not shift its phase.
 */
export function createLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  const inFlight = new Set<Promise<void>>();

  const keyOf = (tenantId: string, flowId: string, triggerId: string) =>
    `${tenantId}\u0000${flowId}\u0000${triggerId}`;

  function cancel(entry: Entry): void {
    if (entry.timer !== undefined) clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.next = null;
  }

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  /** Arms the entry's timer for its first instant strictly after `after`. */
  function arm(key: string, entry: Entry, after: Date): void {
    const next = entry.trigger.enabled ? nextInstant(entry.trigger, after) : null;
    armAt(key, entry, next);
  }

  function armAt(key: string, entry: Entry, next: Date | null): void {
    entry.next = next;
    if (!next) return;
    const wait = (): void => {
      const delay = next.getTime() - clock.now().getTime();
      entry.timer = clock.setTimeout(
        () => {
          if (entries.get(key) !== entry) return;
          if (clock.now().getTime() < next.getTime()) return wait();
          onDue(key, entry, next);
        },
        Math.max(0, Math.min(delay, MAX_TIMER_MS)),
      );
    };
    wait();
  }

  function onDue(key: string, entry: Entry, due: Date): void {
    const now = clock.now();
    const following = nextInstant(entry.trigger, due);
    if (!following || following.getTime() > now.getTime()) {
      // On time (the usual case): fire `due`, wait for the following instant.
      armAt(key, entry, following);
      track(fire(entry, due));
      return;
    }
    // Late (sleep, blocked loop): fire only the most recent instant that is due.
    const instant = latestInstant(entry.trigger, new Date(due.getTime() - 1), now) ?? due;
    arm(key, entry, now);
    track(fire(entry, instant));
  }

  async function fire(entry: Entry, instant: Date): Promise<void> {
    const { tenantId, flowId, version } = entry.flow;
    const triggerId = entry.trigger.id;
    const iso = instant.toISOString();
    try {
      if (!(await options.firedMarks.markScheduleFired(tenantId, flowId, triggerId, iso))) return;
      await options.startExecution({
        tenantId,
        flowId,
        version,
        input: entry.trigger.input,
        trigger: { id: triggerId, type: 'schedule' },
        idempotencyKey: scheduleIdempotencyKey(flowId, triggerId, instant),
      });
    } catch (error) {
      options.onError?.(error, { tenantId, flowId, triggerId, instant: iso });
    }
  }

  /** Reads the last fired instant, anchors a rate schedule on it, arms the timer, fires one missed instant. */
  async function start(key: string, entry: Entry, now: Date): Promise<void> {
    const { tenantId, flowId } = entry.flow;
    const last = await options.firedMarks.lastScheduleFired(tenantId, flowId, entry.trigger.id);
    if (entries.get(key) !== entry) return; // replaced or removed meanwhile
    if (entry.trigger.spec.kind === 'rate' && !entry.trigger.startDate) {
      // EventBridge counts a rate from the schedule's creation; keep that phase across restarts by
      // counting from the last fired instant (from now when it never fired).
      entry.trigger = { ...entry.trigger, startDate: last ? new Date(last) : now };
    }
    arm(key, entry, now);
    if (!last || !entry.trigger.enabled) return;
    const missed = latestInstant(entry.trigger, new Date(last), now);
    if (missed) await fire(entry, missed);
  }

  return {
    async register(flow, triggers) {
      const wanted = new Set(triggers.map((trigger) => keyOf(flow.tenantId, flow.flowId, trigger.id)));
      for (const [key, entry] of entries) {
        if (entry.flow.tenantId === flow.tenantId && entry.flow.flowId === flow.flowId && !wanted.has(key)) {
          cancel(entry);
          entries.delete(key);
        }
      }
      const now = clock.now();
      const starts: Promise<void>[] = [];
      for (const trigger of triggers) {
        const key = keyOf(flow.tenantId, flow.flowId, trigger.id);
        const previous = entries.get(key);
        if (previous) cancel(previous);
        const entry: Entry = { flow, trigger, next: null };
        entries.set(key, entry);
        starts.push(start(key, entry, now));
      }
      const work = Promise.all(starts).then(() => undefined);
      track(work);
      await work;
    },
    async unregister(tenantId, flowId) {
      for (const [key, entry] of entries) {
        if (entry.flow.tenantId === tenantId && entry.flow.flowId === flowId) {
          cancel(entry);
          entries.delete(key);
        }
      }
    },
    pending() {
      return [...entries.values()].map((entry) => ({
        tenantId: entry.flow.tenantId,
        flowId: entry.flow.flowId,
        triggerId: entry.trigger.id,
        next: entry.next,
      }));
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    stop() {
      for (const entry of entries.values()) cancel(entry);
      entries.clear();
    },
  };
}

function nextInstant(trigger: ScheduleTrigger, after: Date): Date | null {
  return nextFireTimes(trigger.spec, after, 1, bounds(trigger))[0] ?? null;
}

function bounds(trigger: ScheduleTrigger): { startDate?: Date; endDate?: Date } {
  return {
    ...(trigger.startDate ? { startDate: trigger.startDate } : {}),
    ...(trigger.endDate ? { endDate: trigger.endDate } : {}),
  };
}

/** The latest instant of the schedule in (`after`, `upTo`], or undefined; searches recent windows first. */
function latestInstant(trigger: ScheduleTrigger, after: Date, upTo: Date): Date | undefined {
  for (const windowMs of [...CATCH_UP_WINDOWS_MS, Number.POSITIVE_INFINITY]) {
    const from = Math.max(after.getTime(), upTo.getTime() - windowMs);
    const found = lastUpTo(trigger.spec, new Date(from), upTo, bounds(trigger));
    if (found) return found;
    if (from === after.getTime()) return undefined;
  }
  return undefined;
}

function lastUpTo(
  spec: ScheduleSpec,
  after: Date,
  upTo: Date,
  range: { startDate?: Date; endDate?: Date },
): Date | undefined {
  let latest: Date | undefined;
  let cursor = after;
  // Growing pages until an instant passes `upTo`: the usual case (one instant due) costs one small
  // page, and a minutely schedule over a long downtime stays bounded.
  for (let page = 0, size = 4; page < 40; page++, size = Math.min(size * 2, 1024)) {
    const times = nextFireTimes(spec, cursor, size, range);
    for (const time of times) {
      if (time.getTime() > upTo.getTime()) return latest;
      latest = time;
    }
    const last = times.at(-1);
    if (!last || times.length < size) return latest;
    cursor = last;
  }
  return latest;
}
