import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TaskPayload } from './action.ts';
import { awsClientConfig } from './aws-client-config.ts';

/**
 * Makes one Task's side effect happen at most once per Task identity: `execution.id`, `nodeId`,
 * `attempt`, `phase` (absent for a node's forward Task, `"compensate"` for its compensation) and `iteration`
 * (a forEach body's item, absent outside bodies). A payload delivered again (Lambda retried by Step Functions, redelivered
 * locally) gets the first run's stored result instead of running again; a run that throws leaves
 * no record, so the next attempt runs.
 */
export interface IdempotencyStore {
  run<T>(
    payload: TaskPayload,
    fn: () => Promise<T>,
    options?: { remainingTimeMs?: () => number },
  ): Promise<T>;
}

/** The Powertools JMESPath of the Task identity inside the payload. */
export const TASK_IDENTITY_JMESPATH = '[execution.id, nodeId, attempt, phase, iteration]';

/**
 * Powertools' DynamoDB persistence layer shaped for the single FlowForge table: one item per key,
 * `pk = IDEMPOTENCY#<prefix>#<hash>`, `sk = IDEMPOTENCY`, expiry in the table's TTL attribute
 * `expiresAt` (Powertools also treats an expired record as absent, which dynalite needs).
 */
class FlowForgePersistenceLayer extends DynamoDBPersistenceLayer {
  protected override getKey(idempotencyKey: string): Record<string, AttributeValue> {
    return { pk: { S: `IDEMPOTENCY#${idempotencyKey}` }, sk: { S: 'IDEMPOTENCY' } };
  }
}

/** Options of {@link createDynamoDbIdempotencyStore}. */
export interface DynamoDbIdempotencyOptions {
  tableName: string;
  client: DynamoDBClient;
  /** How long a completed record answers duplicates (default one day). */
  expiresAfterSeconds?: number;
  /** Key prefix (default `flowforge-action`). */
  keyPrefix?: string;
}

/**
 * An {@link IdempotencyStore} on Powertools Idempotency (`makeIdempotent`) with records in the
 * FlowForge table. The config is validated too: the same identity with a different config is
 * `IdempotencyValidationError`.
 */
export function createDynamoDbIdempotencyStore(options: DynamoDbIdempotencyOptions): IdempotencyStore {
  const persistenceStore = new FlowForgePersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    expiryAttr: 'expiresAt',
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: TASK_IDENTITY_JMESPATH,
    payloadValidationJmesPath: 'config',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.expiresAfterSeconds ?? 86_400,
  });
  const keyPrefix = options.keyPrefix ?? 'flowforge-action';
  return {
    async run(payload, fn, runOptions) {
      const idempotent = makeIdempotent(async (_payload: TaskPayload, _context?: unknown) => fn(), {
        persistenceStore,
        config,
        keyPrefix,
      });
      // A context-like second argument lets Powertools expire an in-progress record when the Lambda times out.
      const context = runOptions?.remainingTimeMs
        ? { getRemainingTimeInMillis: runOptions.remainingTimeMs }
        : undefined;
      return (await idempotent(payload, context)) as Awaited<ReturnType<typeof fn>>;
    },
  };
}

/**
 * The store the environment configures: DynamoDB on `FLOWFORGE_TABLE_NAME` (endpoint
 * `FLOWFORGE_DYNAMODB_ENDPOINT` for dynalite), or undefined when no table is set (no dedupe).
 */
export function idempotencyStoreFromEnv(env: NodeJS.ProcessEnv = process.env): IdempotencyStore | undefined {
  const tableName = env.FLOWFORGE_TABLE_NAME;
  if (!tableName) return undefined;
  return createDynamoDbIdempotencyStore({
    tableName,
    client: new DynamoDBClient(awsClientConfig(env.FLOWFORGE_DYNAMODB_ENDPOINT)),
  });
}
