import type { ActionDefinition } from './action.ts';
import { logAction } from './log/index.ts';

/**
 * Every action with its `run()`, keyed by kind: what the local runner calls for each Task.
 * (Lambda handlers import only their own action, so their bundles stay small.)
 */
export const actionRegistry: Readonly<Record<string, ActionDefinition<never, unknown>>> = {
  log: logAction as ActionDefinition<never, unknown>,
};
