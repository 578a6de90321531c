import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, sha256Hex } from './codec.ts';
import { StoreError } from './errors.ts';
import { putIfAbsent } from './put-if-absent.ts';
import { ID_PATTERN, keys } from './table.ts';
import type { Clock, WebhookReplayGuardPort } from './types.ts';

/**
 * Remembers webhook ids (the Standard Webhooks `webhook-id`) per tenant for a while, so a
 * replayed delivery is refused: one conditional put that succeeds only if the id is unknown or
 * its marker has expired (dynalite has no TTL, so the condition checks `expiresAt` itself).
 */
export class WebhookReplayGuard implements WebhookReplayGuardPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async remember(tenant: string, webhookId: string, ttlSeconds: number): Promise<boolean> {
    if (!ID_PATTERN.test(tenant)) throw new StoreError('tenant must match [a-zA-Z0-9_-]{1,128}');
    const now = epochSeconds(this.clock());
    return putIfAbsent(
      this.client,
      this.tableName,
      {
        pk: keys.webhookReplay(tenant, sha256Hex(webhookId)),
        sk: 'HOOKID',
        type: 'webhookReplay',
        expiresAt: now + Math.max(1, Math.ceil(ttlSeconds)),
      },
      'remembering a webhook id',
      { expiredBefore: now },
    );
  }
}
