import * as z from 'zod';
import { InvalidTriggerEventError } from './errors.ts';
import type { StartExecutionFn, StartExecutionResult } from './start-execution-port.ts';

/**
 * The payload EventBridge Scheduler sends the schedule trigger Lambda (the schedule's Target
 * Input, written by `aws-schedules.ts`; `scheduledTime` is filled in from
 * `<aws.scheduler.scheduled-time>`).
 */
export const scheduledEventSchema = z.object({
  tenantId: z.string().min(1).max(128),
  flowId: z.string().min(1).max(128),
  triggerId: z.string().min(1).max(64),
  version: z.number().int().positive().optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  scheduledTime: z.string().min(1),
});
export type ScheduledEvent = z.infer<typeof scheduledEventSchema>;

/**
 * Starts the run of one scheduled instant. The idempotency key is
 * `schedule:<flowId>:<triggerId>:<scheduledTime>`, so a repeated delivery of the same instant (Scheduler
 * delivers at least once, and retries) is one execution. A payload outside the contract throws
 * `InvalidTriggerEventError`; errors of the start propagate (Scheduler retries, then dead-letters).
 */
export async function fireScheduledTrigger(
  event: unknown,
  deps: { startExecution: StartExecutionFn },
): Promise<StartExecutionResult> {
  const parsed = scheduledEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidTriggerEventError(
      'not a schedule trigger event',
      parsed.error.issues.map((issue) => ({
        path: issue.path.map((part) => `/${String(part)}`).join(''),
        message: issue.message,
      })),
    );
  }
  const { tenantId, flowId, triggerId, version, input, scheduledTime } = parsed.data;
  return deps.startExecution({
    tenantId,
    flowId,
    ...(version === undefined ? {} : { version }),
    input: input ?? {},
    trigger: { id: triggerId, type: 'schedule' },
    idempotencyKey: scheduleIdempotencyKey(flowId, triggerId, scheduledTime),
  });
}

/**
 * The idempotency key of a scheduled run: `schedule:<flowId>:<triggerId>:<instant as ISO 8601 UTC with ms>`.
 * The flow id is part of it because keys are unique per tenant and two flows may share trigger ids.
 * AWS (`<aws.scheduler.scheduled-time>`, `2026-03-30T00:00:00Z`) and the local scheduler give the
 * same key for the same instant, so a repeated delivery is one execution.
 */
export function scheduleIdempotencyKey(
  flowId: string,
  triggerId: string,
  scheduledTime: Date | string,
): string {
  const instant = typeof scheduledTime === 'string' ? new Date(scheduledTime) : scheduledTime;
  if (Number.isNaN(instant.getTime()))
    throw new InvalidTriggerEventError(`scheduled time "${String(scheduledTime)}" is not a date-time`);
  return `schedule:${flowId}:${triggerId}:${instant.toISOString()}`;
}
