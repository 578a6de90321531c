/**
 * The single-table layout of the FlowForge store.
 *
 * Base table: `pk` (S) + `sk` (S). Two sparse GSIs for listings, both projecting ALL:
 * `gsi1` (`gsi1pk`/`gsi1sk`) and `gsi2` (`gsi2pk`/`gsi2sk`). TTL attribute: `expiresAt`
 * (epoch seconds); dynalite has no TTL, so every reader also filters expired items.
 *
 * | record             | pk                                   | sk                          | gsi1pk / gsi1sk                                  | gsi2pk / gsi2sk                        |
 * |--------------------|--------------------------------------|-----------------------------|--------------------------------------------------|----------------------------------------|
 * | flow head          | T#<t>#FLOW#<flowId>                  | HEAD                        | T#<t>#FLOWS / <createdAt>#<flowId> (live only)   |                                        |
 * | flow version       | T#<t>#FLOW#<flowId>                  | V#<version, 10 digits>      |                                                  |                                        |
 * | version part       | T#<t>#FLOW#<flowId>                  | VP#<version>#<writeId>#<n>  |                                                  |                                        |
 * | trigger reg.       | T#<t>#FLOW#<flowId>                  | TRIG#<triggerId>            | HOOK#<flowId>#<triggerId> / TRIG (webhooks only) |                                        |
 * | schedule fired     | T#<t>#FLOW#<flowId>                  | FIRED#<triggerId>#<instant> |                                                  |                                        |
 * | execution          | T#<t>#EXEC#<executionId>             | EXEC                        | T#<t>#FLOW#<flowId>#EXECS / <startedAt>#<id>     | T#<t>#EXECS / <startedAt>#<id>         |
 * | idempotency key    | T#<t>#IDEM#<sha256(key)>             | IDEM                        |                                                  |                                        |
 * | API key            | KEY#<sha256(plaintext)>              | KEY                         | T#<t>#KEYS / <keyId>                             |                                        |
 * | rate-limit bucket  | RL#<keyId>                           | RL                          |                                                  |                                        |
 * | audit entry        | T#<t>#AUDIT                          | <at>#<auditId>              |                                                  |                                        |
 * | webhook replay     | T#<t>#HOOKID#<sha256(webhookId)>     | HOOKID                      |                                                  |                                        |
 * | secret (local)     | T#<t>#SECRETS                        | <name>                      |                                                  |                                        |
 *
 * Only the API key and its bucket are not keyed by tenant: a bearer key must be found before the
 * tenant is known (the record carries the tenant). Webhook lookups by URL go through gsi1.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError, translateSdkError } from './errors.ts';

/** Partition key attribute of the base table. */
export const PARTITION_KEY = 'pk';
/** Sort key attribute of the base table. */
export const SORT_KEY = 'sk';
/** First GSI (flow listing, executions per flow, keys per tenant, webhook lookup). */
export const GSI1_NAME = 'gsi1';
export const GSI1_PARTITION_KEY = 'gsi1pk';
export const GSI1_SORT_KEY = 'gsi1sk';
/** Second GSI (executions per tenant). */
export const GSI2_NAME = 'gsi2';
export const GSI2_PARTITION_KEY = 'gsi2pk';
export const GSI2_SORT_KEY = 'gsi2sk';
/** TTL attribute (epoch seconds). Enable it on the table in AWS; readers filter it regardless. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Ids that may appear inside a key; anything else cannot name a stored record. */
export const ID_PATTERN = /^[a-zA-Z0-9_-]{1,128}$/;

/** Key builders; every tenant-owned key starts with `T#<tenant>#`. */
export const keys = {
  tenantPrefix: (tenant: string) => `T#${tenant}#`,
  flow: (tenant: string, flowId: string) => `T#${tenant}#FLOW#${flowId}`,
  flowHeadSk: 'HEAD',
  flowsIndex: (tenant: string) => `T#${tenant}#FLOWS`,
  versionSk: (version: number) => `V#${String(version).padStart(10, '0')}`,
  versionPartSk: (version: number, writeId: string, part: number) =>
    `VP#${String(version).padStart(10, '0')}#${writeId}#${String(part).padStart(3, '0')}`,
  triggerSk: (triggerId: string) => `TRIG#${triggerId}`,
  webhookIndex: (flowId: string, triggerId: string) => `HOOK#${flowId}#${triggerId}`,
  firedSkPrefix: (triggerId: string) => `FIRED#${triggerId}#`,
  execution: (tenant: string, executionId: string) => `T#${tenant}#EXEC#${executionId}`,
  executionSk: 'EXEC',
  executionsByFlow: (tenant: string, flowId: string) => `T#${tenant}#FLOW#${flowId}#EXECS`,
  executionsByTenant: (tenant: string) => `T#${tenant}#EXECS`,
  idempotency: (tenant: string, keyHash: string) => `T#${tenant}#IDEM#${keyHash}`,
  apiKey: (keyHash: string) => `KEY#${keyHash}`,
  apiKeysIndex: (tenant: string) => `T#${tenant}#KEYS`,
  rateLimit: (keyId: string) => `RL#${keyId}`,
  audit: (tenant: string) => `T#${tenant}#AUDIT`,
  webhookReplay: (tenant: string, idHash: string) => `T#${tenant}#HOOKID#${idHash}`,
  secrets: (tenant: string) => `T#${tenant}#SECRETS`,
} as const;

/** The CreateTable input of the FlowForge table (the CDK stack mirrors it with the constants above). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: SORT_KEY, AttributeType: 'S' },
      { AttributeName: GSI1_PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: GSI1_SORT_KEY, AttributeType: 'S' },
      { AttributeName: GSI2_PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: GSI2_SORT_KEY, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI1_NAME,
        KeySchema: [
          { AttributeName: GSI1_PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: GSI1_SORT_KEY, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: GSI2_NAME,
        KeySchema: [
          { AttributeName: GSI2_PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: GSI2_SORT_KEY, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/**
 * Creates the table unless it exists, then waits until it (and its indexes) are ACTIVE.
 * Idempotent: safe on every start of local mode.
 */
export async function createTable(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  // The Document client passes plain DynamoDB commands through unchanged.
  const raw = client as DynamoDBClient;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 50;
  try {
    await raw.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as Error)?.name !== 'ResourceInUseException') {
      throw translateSdkError(error, `creating table ${tableName}`);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every(
        (index) => index.IndexStatus === 'ACTIVE',
      );
      if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) {
        throw translateSdkError(error, `describing table ${tableName}`);
      }
    }
    if (Date.now() > deadline) throw new StoreUnavailableError(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
