import { httpAction } from '../../lib/actions/http/index.ts';
import { idempotencyStoreFromEnv } from '../../lib/actions/idempotency.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `http` action; its side effect runs at most once per Task (table `FLOWFORGE_TABLE_NAME`). */
export const handler = createActionHandler(httpAction, { idempotency: idempotencyStoreFromEnv() });
