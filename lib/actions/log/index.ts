import type { ActionDefinition } from '../action.ts';
import { type LogConfig, type LogOutput, logConfigSchema } from './schema.ts';

/** The `log` action: writes its message to the action's log and returns it as `{ message }`. */
export const logAction: ActionDefinition<LogConfig, LogOutput> = {
  kind: 'log',
  configSchema: logConfigSchema,
  async run(config) {
    return { message: config.message };
  },
};
