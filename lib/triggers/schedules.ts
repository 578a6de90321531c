import { parseSchedule, type ScheduleSpec } from '../workflow/schedule-expression.ts';
import { TriggerRegistrationError } from './errors.ts';

/** A `schedule` trigger of a flow version, parsed and ready for a scheduler. */
export interface ScheduleTrigger {
  id: string;
  spec: ScheduleSpec;
  /** Absent: fire exactly on time (EventBridge `FlexibleTimeWindow: OFF`). */
  flexibleWindowMinutes?: number;
  startDate?: Date;
  endDate?: Date;
  enabled: boolean;
  /** The input every run of this schedule starts with (`{}` when the config has none). */
  input: Record<string, unknown>;
}

/** The flow version whose schedules are registered. */
export interface ScheduledFlow {
  tenantId: string;
  flowId: string;
  version: number;
  /** The deployed machine (informational: the target is the schedule trigger Lambda, which records the run). */
  stateMachineArn?: string;
}

/**
 * The port through which a flow's schedules are kept in a scheduler. Adapters: `aws-schedules.ts`
 * (EventBridge Scheduler) and `local-scheduler.ts` (in-process timers).
 */
export interface Schedules {
  /**
   * Makes `triggers` the flow's schedules: creates new ones, updates existing ones (same trigger
   * id) to this version's settings and removes the flow's schedules whose trigger is gone.
   * Idempotent: registering the same version twice changes nothing.
   */
  register(flow: ScheduledFlow, triggers: readonly ScheduleTrigger[]): Promise<void>;
  /** Removes every schedule of the flow (flow deleted). Unknown flows are fine. */
  unregister(tenantId: string, flowId: string): Promise<void>;
}

/**
 * Parses a `schedule` trigger's config (`cron`|`rate`|`at`, `timezone`, `flexibleWindowMinutes`,
 * `startDate`, `endDate`, `enabled`, `input`) into a `ScheduleTrigger`. The definition validator
 * has checked it already; anything still wrong throws `TriggerRegistrationError`.
 */
export function toScheduleTrigger(id: string, config: Record<string, unknown> = {}): ScheduleTrigger {
  const text = (key: string): string | undefined => {
    const value = config[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw new TriggerRegistrationError(`schedule trigger ${id}: ${key} must be a string`);
    return value;
  };
  const parsed = parseSchedule({
    cron: text('cron'),
    rate: text('rate'),
    at: text('at'),
    timezone: text('timezone'),
  });
  if ('error' in parsed)
    throw new TriggerRegistrationError(`schedule trigger ${id}: ${parsed.field}: ${parsed.error}`);
  const date = (key: string): Date | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const parsedDate = new Date(value);
    if (Number.isNaN(parsedDate.getTime())) {
      throw new TriggerRegistrationError(`schedule trigger ${id}: ${key} is not an ISO 8601 date-time`);
    }
    return parsedDate;
  };
  const trigger: ScheduleTrigger = {
    id,
    spec: parsed.spec,
    enabled: config.enabled !== false,
    input: isRecord(config.input) ? config.input : {},
  };
  const window = config.flexibleWindowMinutes;
  if (typeof window === 'number') trigger.flexibleWindowMinutes = window;
  const startDate = date('startDate');
  const endDate = date('endDate');
  if (startDate) trigger.startDate = startDate;
  if (endDate) trigger.endDate = endDate;
  return trigger;
}

/** The schedule triggers among a version's triggers, parsed (see `toScheduleTrigger`). */
export function scheduleTriggersOf(
  triggers: readonly { id: string; type: string; config?: Record<string, unknown> }[],
): ScheduleTrigger[] {
  return triggers
    .filter((trigger) => trigger.type === 'schedule')
    .map((trigger) => toScheduleTrigger(trigger.id, trigger.config));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
