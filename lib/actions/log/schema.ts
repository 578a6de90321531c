import { z } from 'zod';

/** Config of the `log` action: a message and an optional level. */
export const logConfigSchema = z
  .object({
    message: z.string().max(64 * 1024),
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict();

export type LogConfig = z.infer<typeof logConfigSchema>;
/** Output of the `log` action. */
export interface LogOutput {
  message: string;
}
