import { transformAction } from '../../lib/actions/transform/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `transform` action: no side effect to dedupe, so no idempotency store; large outputs go to the payload bucket. */
export const handler = createActionHandler(transformAction);
