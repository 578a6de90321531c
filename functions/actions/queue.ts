import { idempotencyStoreFromEnv } from '../../lib/actions/idempotency.ts';
import { queueAction } from '../../lib/actions/queue/index.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `queue` action; its side effect runs at most once per Task (table `FLOWFORGE_TABLE_NAME`). */
export const handler = createActionHandler(queueAction, { idempotency: idempotencyStoreFromEnv() });
