import * as z from 'zod/mini';

/** Config of the `log` action: a message and an optional level. */
export const logConfigSchema = z.strictObject({
  message: z.string().check(z.maxLength(64 * 1024)),
  level: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'),
});

export type LogConfig = z.output<typeof logConfigSchema>;
/** Output of the `log` action. */
export interface LogOutput {
  message: string;
}
