import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SecretSource } from '../security/secrets.ts';
import {
  SECRET_NAME_PATTERN,
  SecretNotFoundError,
  type SecretSummary,
  type TenantSecretStore,
  tenantSecretLayout,
} from '../security/tenant-secrets.ts';
import { isConditionalCheckFailed, StoreError, translateSdkError } from './errors.ts';
import { queryPage } from './query.ts';
import { ID_PATTERN, keys } from './table.ts';
import type { Clock } from './types.ts';

/**
 * Tenant secrets in the table — the local adapter of {@link TenantSecretStore} (dynalite in
 * `npm start`), and the {@link SecretSource} the local actions read: one item per secret in the
 * tenant's `T#<t>#SECRETS` partition, sorted by name. Old-form references (`secret:ssm:…`,
 * `secret:sm:…`) map onto the same names, as in AWS after scoping; the layout is stage `local`
 * (`/flowforge/local/tenants/<t>/secrets/<name>`). Values sit in the data directory like every
 * other record of local mode (AWS keeps them as SSM SecureStrings, encrypted with KMS).
 */
export class SecretStore implements TenantSecretStore, SecretSource {
  readonly layout = tenantSecretLayout('local');

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async put(
    tenant: string,
    name: string,
    value: string,
  ): Promise<{ summary: SecretSummary; created: boolean }> {
    this.check(tenant, name);
    const updatedAt = this.clock().toISOString();
    try {
      const result = await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: keys.secrets(tenant), sk: name, type: 'secret', tenant, name, value, updatedAt },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { summary: { name, updatedAt }, created: result.Attributes === undefined };
    } catch (error) {
      throw translateSdkError(error, 'storing a secret');
    }
  }

  async list(tenant: string, page?: { limit?: number; cursor?: string }) {
    if (!ID_PATTERN.test(tenant)) return { items: [] };
    return queryPage(
      this.client,
      {
        tableName: this.tableName,
        name: 'secrets',
        partition: keys.secrets(tenant),
        pkPrefix: keys.secrets(tenant),
        newestFirst: false,
        // The listing never reads a value, not even into memory.
        projection: ['name', 'updatedAt'],
        map: (item): SecretSummary => ({ name: item.name as string, updatedAt: item.updatedAt as string }),
        now: this.clock(),
      },
      page,
    );
  }

  async delete(tenant: string, name: string): Promise<void> {
    this.check(tenant, name);
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: keys.secrets(tenant), sk: name },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new SecretNotFoundError(`secret ${name} not found`);
      throw translateSdkError(error, 'deleting a secret');
    }
  }

  /** The value of one of the tenant's secrets (the local actions' read); `sm:` names read the same store. */
  async get(tenant: string, reference: { store: 'ssm' | 'sm'; name: string }): Promise<string> {
    if (!ID_PATTERN.test(tenant) || !SECRET_NAME_PATTERN.test(reference.name))
      throw new SecretNotFoundError(`secret ${reference.name} not found`);
    let item: Record<string, unknown> | undefined;
    try {
      const result = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: keys.secrets(tenant), sk: reference.name },
          ConsistentRead: true,
        }),
      );
      item = result.Item;
    } catch (error) {
      throw translateSdkError(error, 'reading a secret');
    }
    if (typeof item?.value !== 'string') throw new SecretNotFoundError(`secret ${reference.name} not found`);
    return item.value;
  }

  private check(tenant: string, name: string): void {
    if (!ID_PATTERN.test(tenant)) throw new StoreError('tenant must match [a-zA-Z0-9_-]{1,128}');
    if (!SECRET_NAME_PATTERN.test(name)) throw new StoreError(`invalid secret name ${name.slice(0, 140)}`);
  }
}
