import * as z from 'zod';
import type { OperationNode } from './definition-schema.ts';
import { hasTemplate } from './template.ts';

/**
 * Config schemas of the operations (DESIGN.md §2), which compile to native states. The validator
 * checks `config` against them (ignoring any issue at or under a string with a template, since a
 * template may produce any type at run time); the compiler reads the parsed configs.
 */

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** `delay`: wait `seconds` (a number >= 0, or a template), or `until` a timestamp (ISO 8601 with offset, or a template). */
export const delayConfigSchema = z
  .object({
    seconds: z.number().min(0).max(31_536_000).optional(),
    until: z
      .string()
      .refine(
        (value) => hasTemplate(value) || (ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))),
        {
          message: 'must be an ISO 8601 timestamp with a time zone (2026-12-01T10:00:00Z) or a template',
        },
      )
      .optional(),
  })
  .strict()
  .refine((config) => (config.seconds === undefined) !== (config.until === undefined), {
    message: 'a delay takes exactly one of "seconds" or "until"',
  });

/** `set`: a Pass state that builds `values` (templates resolved) as the node's output. */
export const setConfigSchema = z.object({ values: z.record(z.string(), z.unknown()) }).strict();

/** `fail`: a Fail state with an optional error name and cause. */
export const failConfigSchema = z
  .object({ error: z.string().min(1).max(256).optional(), cause: z.string().max(32_768).optional() })
  .strict();

/** `noop`: does nothing (a Pass state); takes no config. */
export const noopConfigSchema = z.object({}).strict();

/** The config schema of each operation kind. */
export const operationConfigSchemas = {
  delay: delayConfigSchema,
  set: setConfigSchema,
  fail: failConfigSchema,
  noop: noopConfigSchema,
} as const satisfies Record<OperationNode['operation'], z.ZodType>;

export type DelayConfig = z.infer<typeof delayConfigSchema>;
export type SetConfig = z.infer<typeof setConfigSchema>;
export type FailConfig = z.infer<typeof failConfigSchema>;
export type NoopConfig = z.infer<typeof noopConfigSchema>;
