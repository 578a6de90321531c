import { emailAction } from '../../lib/actions/email/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `email` action (Task payload in, node output out). */
export const handler = createActionHandler(emailAction);
