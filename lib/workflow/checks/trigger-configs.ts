import * as z from 'zod';
import type { TriggerNode } from '../definition-schema.ts';
import { parseSchedule } from '../schedule-expression.ts';

const isoDateTime = z.iso.datetime({ offset: true });

/**
 * `schedule` trigger config (EventBridge Scheduler): exactly one of `cron`, `rate` or `at`
 * (checked by `parseSchedule`), an IANA `timezone`, a flexible window, start/end dates (ISO 8601),
 * `enabled`, and the `input` each run starts with.
 */
export const scheduleTriggerConfigSchema = z
  .object({
    cron: z.string().min(1).max(256).optional(),
    rate: z.string().min(1).max(256).optional(),
    at: z.string().min(1).max(256).optional(),
    timezone: z.string().min(1).max(64).optional(),
    flexibleWindowMinutes: z.number().int().min(1).max(1440).optional(),
    startDate: isoDateTime.optional(),
    endDate: isoDateTime.optional(),
    enabled: z.boolean().optional(),
    input: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** The longest a synchronous webhook waits (API Gateway's integration timeout is 30 s). */
export const MAX_SYNC_WEBHOOK_SECONDS = 29;
/** How long a synchronous webhook waits when its config names no `timeoutSeconds`. */
export const DEFAULT_SYNC_WEBHOOK_SECONDS = 25;

/**
 * `webhook` trigger config: optionally where its signing secret is kept, the signature scheme
 * (`standard-webhooks`, the default, or `github` for sources that only send `X-Hub-Signature-256`),
 * and `response: "sync"` (DESIGN.md §2.2): the request stays open up to `timeoutSeconds` (1–29,
 * default 25) until a `respond` node answers or the run ends; `"async"` (the default) answers 202 at once.
 */
export const webhookTriggerConfigSchema = z
  .object({
    secretRef: z.string().min(1).max(2048).optional(),
    signature: z.enum(['standard-webhooks', 'github']).optional(),
    response: z.enum(['async', 'sync']).optional(),
    timeoutSeconds: z.number().int().min(1).max(MAX_SYNC_WEBHOOK_SECONDS).optional(),
  })
  .strict();
/** `queue` trigger config: optionally the name of the queue (default: the shared trigger queue). */
export const queueTriggerConfigSchema = z.object({ queue: z.string().min(1).max(80).optional() }).strict();
/** `manual` trigger config: none. */
export const manualTriggerConfigSchema = z.object({}).strict();

/** The config schema of each trigger kind. */
export const triggerConfigSchemas = {
  schedule: scheduleTriggerConfigSchema,
  webhook: webhookTriggerConfigSchema,
  queue: queueTriggerConfigSchema,
  manual: manualTriggerConfigSchema,
} as const satisfies Record<TriggerNode['trigger'], z.ZodType>;

export type ScheduleTriggerConfig = z.infer<typeof scheduleTriggerConfigSchema>;

/** The schedule rules a shape cannot express, as `[field, message]` pairs (empty when fine). */
export function scheduleProblems(config: ScheduleTriggerConfig): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const parsed = parseSchedule(config);
  if ('error' in parsed) problems.push([parsed.field, parsed.error]);
  if (config.startDate && config.endDate && Date.parse(config.endDate) <= Date.parse(config.startDate)) {
    problems.push(['endDate', `endDate (${config.endDate}) must be after startDate (${config.startDate})`]);
  }
  return problems;
}
