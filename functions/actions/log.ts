import { logAction } from '../../lib/actions/log/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `log` action: no side effect to dedupe, so no idempotency store (and no SDK in the bundle). */
export const handler = createActionHandler(logAction);
