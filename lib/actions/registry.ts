import type { ActionDefinition } from './action.ts';
import { emailAction } from './email/index.ts';
import { httpAction } from './http/index.ts';
import { logAction } from './log/index.ts';
import { queueAction } from './queue/index.ts';
import { transformAction } from './transform/index.ts';

/**
 * Every action with its `run()`, keyed by kind: what the local runner calls for each Task.
 * (Lambda handlers import only their own action, so their bundles stay small.)
 */
export const actionRegistry: Readonly<Record<string, ActionDefinition<never, unknown>>> = {
  email: emailAction as ActionDefinition<never, unknown>,
  http: httpAction as ActionDefinition<never, unknown>,
  log: logAction as ActionDefinition<never, unknown>,
  queue: queueAction as ActionDefinition<never, unknown>,
  transform: transformAction as ActionDefinition<never, unknown>,
};
