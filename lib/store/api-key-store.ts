import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { compact, sha256Hex } from './codec.ts';
import {
  AlreadyExistsError,
  isConditionalCheckFailed,
  NotFoundError,
  StoreError,
  translateSdkError,
} from './errors.ts';
import { putIfAbsent } from './put-if-absent.ts';
import { queryPage } from './query.ts';
import { GSI1_NAME, ID_PATTERN, keys } from './table.ts';
import type {
  ApiKeyRecord,
  ApiKeyStorePort,
  ApiScope,
  Clock,
  NewApiKey,
  Page,
  PageRequest,
  RateLimit,
} from './types.ts';

type Item = Record<string, unknown>;

/** Prefix of generated keys: `ffk_` + base64url of 32 random bytes. */
export const API_KEY_PREFIX = 'ffk_';

/** Generates a plaintext API key. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * API keys, stored only as SHA-256 of the plaintext (the item key is `KEY#<hash>`, so a bearer
 * key is found with one GetItem before the tenant is known). Listed per tenant through gsi1.
 * A plain SHA-256 is enough here: keys carry 256 random bits, nothing to brute-force.
 */
export class ApiKeyStore implements ApiKeyStorePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async create(input: NewApiKey): Promise<{ record: ApiKeyRecord; key: string }> {
    if (!ID_PATTERN.test(input.tenant)) throw new StoreError('tenant must match [a-zA-Z0-9_-]{1,128}');
    const key = input.key ?? generateApiKey();
    if (key.length < 16 || key.length > 512) throw new StoreError('an API key has 16 to 512 characters');
    const record: ApiKeyRecord = compact({
      keyId: `key_${randomBytes(10).toString('hex')}`,
      tenant: input.tenant,
      name: input.name,
      scopes: [...input.scopes],
      createdAt: this.clock().toISOString(),
      createdBy: input.createdBy,
      rateLimit: input.rateLimit,
    });
    const item = compact({
      pk: keys.apiKey(sha256Hex(key)),
      sk: 'KEY',
      type: 'apiKey',
      ...record,
      rateLimit: record.rateLimit ? { ...record.rateLimit } : undefined,
      gsi1pk: keys.apiKeysIndex(record.tenant),
      gsi1sk: record.keyId,
    });
    if (!(await putIfAbsent(this.client, this.tableName, item, 'creating an API key'))) {
      throw new AlreadyExistsError('this API key already exists');
    }
    return { record, key };
  }

  async findByKey(plaintext: string): Promise<ApiKeyRecord | undefined> {
    if (typeof plaintext !== 'string' || plaintext.length < 16 || plaintext.length > 512) return undefined;
    try {
      const result = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: keys.apiKey(sha256Hex(plaintext)), sk: 'KEY' },
        }),
      );
      if (!result.Item || result.Item.revokedAt !== undefined) return undefined;
      return toRecord(result.Item);
    } catch (error) {
      throw translateSdkError(error, 'looking up an API key');
    }
  }

  async get(tenant: string, keyId: string): Promise<ApiKeyRecord> {
    return toRecord(await this.findItem(tenant, keyId));
  }

  async revoke(tenant: string, keyId: string): Promise<ApiKeyRecord> {
    const item = await this.findItem(tenant, keyId);
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: item.pk, sk: 'KEY' },
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: 'attribute_exists(pk) AND tenant = :tenant',
          ExpressionAttributeValues: { ':now': this.clock().toISOString(), ':tenant': tenant },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(result.Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error))
        throw new NotFoundError(`key ${keyId} not found`, { cause: error });
      throw translateSdkError(error, 'revoking an API key');
    }
  }

  async markUsed(plaintext: string, at: Date, staleBefore: Date): Promise<void> {
    if (typeof plaintext !== 'string' || plaintext.length < 16 || plaintext.length > 512) return;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.apiKey(sha256Hex(plaintext)), sk: 'KEY' },
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :stale)',
          ExpressionAttributeValues: { ':at': at.toISOString(), ':stale': staleBefore.toISOString() },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw translateSdkError(error, 'recording the use of an API key');
    }
  }

  async list(tenant: string, page?: PageRequest): Promise<Page<ApiKeyRecord>> {
    if (!ID_PATTERN.test(tenant)) return { items: [] };
    return queryPage(
      this.client,
      {
        tableName: this.tableName,
        index: GSI1_NAME,
        name: 'keys',
        partition: keys.apiKeysIndex(tenant),
        pkPrefix: 'KEY#',
        newestFirst: false,
        map: toRecord,
        now: this.clock(),
      },
      page,
    );
  }

  private async findItem(tenant: string, keyId: string): Promise<Item> {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(keyId))
      throw new NotFoundError(`key ${keyId} not found`);
    try {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1_NAME,
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :keyId',
          ExpressionAttributeValues: { ':pk': keys.apiKeysIndex(tenant), ':keyId': keyId },
        }),
      );
      const item = result.Items?.[0];
      if (!item || item.tenant !== tenant) throw new NotFoundError(`key ${keyId} not found`);
      return item;
    } catch (error) {
      throw translateSdkError(error, 'reading an API key');
    }
  }
}

function toRecord(item: Item): ApiKeyRecord {
  return compact({
    keyId: item.keyId as string,
    tenant: item.tenant as string,
    name: item.name as string,
    scopes: (item.scopes ?? []) as ApiScope[],
    createdAt: item.createdAt as string,
    revokedAt: item.revokedAt as string | undefined,
    createdBy: item.createdBy as string | undefined,
    rateLimit: item.rateLimit as RateLimit | undefined,
    lastUsedAt: item.lastUsedAt as string | undefined,
  });
}
