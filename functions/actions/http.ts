import { httpAction } from '../../lib/actions/http/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `http` action (Task payload in, node output out). */
export const handler = createActionHandler(httpAction);
