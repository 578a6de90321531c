import { transformAction } from '../../lib/actions/transform/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `transform` action: no side effect to dedupe, so no idempotency store (and no SDK in the bundle). */
export const handler = createActionHandler(transformAction);
