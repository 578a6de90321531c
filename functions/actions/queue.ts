import { queueAction } from '../../lib/actions/queue/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `queue` action (Task payload in, node output out). */
export const handler = createActionHandler(queueAction);
