import { codeAction } from '../../lib/actions/code/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/**
 * Lambda of the `code` action: QuickJS in WebAssembly, no side effect outside the sandbox, so no
 * idempotency store and no rights beyond its own logs.
 */
export const handler = createActionHandler(codeAction);
