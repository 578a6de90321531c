import { forEachAction } from '../../lib/actions/foreach/index.ts';
import { payloadStoreFromEnv } from '../../lib/payloads/payload-store-from-env.ts';
import { createActionHandler } from '../shared/action-handler.ts';

/** Lambda of the internal `foreach` action (a forEach's items and collect steps): pure, so no idempotency store; references in items/results are resolved, a large collected output offloaded. */
export const handler = createActionHandler(forEachAction, { payloads: payloadStoreFromEnv() });
