import * as z from 'zod/mini';
import { expressionProblem } from './check-expression.ts';

/**
 * Config of the `transform` action: a JSONata `expression` evaluated over `data`, which the
 * compiler fills with the run's state as `{ input, nodes, execution }` (a Task's `config` holds
 * only resolved values, so the data travels in it). Limits: `timeoutMs` (default 1000) and
 * `maxResultBytes` of the JSON result (default 200 KiB). An expression that does not parse is refused
 * here, so a definition with one is invalid at save time (the message names the position).
 */
export const transformConfigSchema = z.strictObject({
  expression: z.string().check(
    z.minLength(1),
    z.maxLength(64 * 1024),
    z.superRefine((expression, ctx) => {
      const problem = expressionProblem(expression);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: expression });
    }),
  ),
  data: z.optional(
    z.looseObject({
      input: z.optional(z.unknown()),
      nodes: z.optional(z.unknown()),
      execution: z.optional(z.unknown()),
    }),
  ),
  timeoutMs: z._default(z.int().check(z.positive(), z.lte(10_000)), 1000),
  maxResultBytes: z._default(z.int().check(z.positive(), z.lte(256 * 1024)), 200 * 1024),
});

/** The parsed `transform` config. */
export type TransformConfig = z.output<typeof transformConfigSchema>;

/** Output of the `transform` action: the JSONata result as is (undefined becomes null). */
export type TransformOutput = unknown;
