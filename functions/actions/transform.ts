import { transformAction } from '../../lib/actions/transform/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `transform` action (Task payload in, node output out). */
export const handler = createActionHandler(transformAction);
