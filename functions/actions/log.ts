import { logAction } from '../../lib/actions/log/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `log` action (Task payload in, node output out). */
export const handler = createActionHandler(logAction);
