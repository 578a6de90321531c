import { logAction } from '../../lib/actions/log/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `log` action: no side effect to dedupe, so no idempotency store; large outputs go to the payload bucket. */
export const handler = createActionHandler(logAction);
