import type { ActionDefinition } from '../action.ts';
import { type LogConfig, type LogOutput, logConfigSchema } from './schema.ts';

/**
 * The `log` action: writes its message at its level to the action's logger (the Lambda's
 * structured log, with the flow, execution, node and attempt keys) and returns it as `{ message }`.
 */
export const logAction: ActionDefinition<LogConfig, LogOutput> = {
  kind: 'log',
  configSchema: logConfigSchema,
  async run(config, context) {
    context.logger?.[config.level](config.message);
    return { message: config.message };
  },
};
