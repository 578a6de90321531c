/**
 * The FlowForge store: one DynamoDB table (see table.ts for the key layout), one class per
 * record family. `createStores` builds them all over one Document client.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiKeyStore } from './api-key-store.ts';
import { AuditLog } from './audit-log.ts';
import { ExecutionStore } from './execution-store.ts';
import { FlowStore } from './flow-store.ts';
import { RateLimiter } from './rate-limiter.ts';
import { SecretStore } from './secret-store.ts';
import { TriggerStateStore } from './trigger-state-store.ts';
import type { Clock, RateLimit } from './types.ts';
import { WaitStore } from './wait-store.ts';
import { WebhookReplayGuard } from './webhook-replay-guard.ts';

export { ApiKeyStore, generateApiKey } from './api-key-store.ts';
export { AuditLog } from './audit-log.ts';
export { createDocumentClient, createLocalDocumentClient } from './client.ts';
export * from './errors.ts';
export { ExecutionStore } from './execution-store.ts';
export { FlowStore } from './flow-store.ts';
export { DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limiter.ts';
export { SecretStore } from './secret-store.ts';
export { createTable, tableDefinition } from './table.ts';
export { TriggerStateStore } from './trigger-state-store.ts';
export * from './types.ts';
export * from './wait-store.ts';
export { WebhookReplayGuard } from './webhook-replay-guard.ts';

/** The concrete stores over one table. */
export interface StoreSet {
  flows: FlowStore;
  executions: ExecutionStore;
  apiKeys: ApiKeyStore;
  rateLimiter: RateLimiter;
  audit: AuditLog;
  webhookReplay: WebhookReplayGuard;
  triggers: TriggerStateStore;
  waits: WaitStore;
  secrets: SecretStore;
}

/** Builds every store over one client and table, sharing the clock. */
export function createStores(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { clock?: Clock; rateLimit?: RateLimit; idempotencyTtlSeconds?: number } = {},
): StoreSet {
  const clock = options.clock ?? (() => new Date());
  return {
    flows: new FlowStore(client, tableName, clock),
    executions: new ExecutionStore(client, tableName, clock, options.idempotencyTtlSeconds),
    apiKeys: new ApiKeyStore(client, tableName, clock),
    rateLimiter: new RateLimiter(client, tableName, clock, options.rateLimit),
    audit: new AuditLog(client, tableName, clock),
    webhookReplay: new WebhookReplayGuard(client, tableName, clock),
    triggers: new TriggerStateStore(client, tableName, clock),
    waits: new WaitStore(client, tableName, clock),
    secrets: new SecretStore(client, tableName, clock),
  };
}
