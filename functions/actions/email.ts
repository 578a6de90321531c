import { emailAction } from '../../lib/actions/email/index.ts';
import { idempotencyStoreFromEnv } from '../../lib/actions/idempotency.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the `email` action; its side effect runs at most once per Task (table `FLOWFORGE_TABLE_NAME`). */
export const handler = createActionHandler(emailAction, { idempotency: idempotencyStoreFromEnv() });
