import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { compact, epochSeconds, isExpired } from './codec.ts';
import { StoreError, translateSdkError } from './errors.ts';
import { putIfAbsent } from './put-if-absent.ts';
import { GSI1_NAME, ID_PATTERN, keys } from './table.ts';
import type { Clock, TriggerRegistration, TriggerStateStorePort } from './types.ts';

type Item = Record<string, unknown>;

/** How long a schedule's fired markers are kept (they only guard against double delivery). */
export const FIRED_MARKER_TTL_SECONDS = 14 * 24 * 60 * 60;

/**
 * Trigger registrations (one item per trigger in the flow's partition; webhooks also in gsi1
 * under `HOOK#<flowId>#<triggerId>`, because a webhook URL carries no tenant) and schedule
 * fired markers (one conditional put per fired instant, so a schedule delivered twice runs once).
 */
export class TriggerStateStore implements TriggerStateStorePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async putRegistration(registration: Omit<TriggerRegistration, 'updatedAt'>): Promise<TriggerRegistration> {
    const { tenant, flowId, triggerId } = registration;
    this.check(tenant, flowId, triggerId);
    const stored: TriggerRegistration = compact({ ...registration, updatedAt: this.clock().toISOString() });
    const webhook = stored.type === 'webhook';
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: compact({
            pk: keys.flow(tenant, flowId),
            sk: keys.triggerSk(triggerId),
            type: 'trigger',
            registration: JSON.stringify(stored),
            gsi1pk: webhook ? keys.webhookIndex(flowId, triggerId) : undefined,
            gsi1sk: webhook ? keys.tenantPrefix(tenant) : undefined,
          }),
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'registering a trigger');
    }
    return stored;
  }

  async findRegistration(
    tenant: string,
    flowId: string,
    triggerId: string,
  ): Promise<TriggerRegistration | undefined> {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(flowId) || !ID_PATTERN.test(triggerId)) return undefined;
    try {
      const result = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: keys.flow(tenant, flowId), sk: keys.triggerSk(triggerId) },
          ConsistentRead: true,
        }),
      );
      return result.Item ? toRegistration(result.Item) : undefined;
    } catch (error) {
      throw translateSdkError(error, 'reading a trigger');
    }
  }

  async listRegistrations(tenant: string, flowId: string): Promise<TriggerRegistration[]> {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(flowId)) return [];
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.flow(tenant, flowId), ':prefix': 'TRIG#' },
      ConsistentRead: true,
    });
    return items.map(toRegistration);
  }

  async findWebhook(flowId: string, triggerId: string): Promise<TriggerRegistration | undefined> {
    if (!ID_PATTERN.test(flowId) || !ID_PATTERN.test(triggerId)) return undefined;
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: GSI1_NAME,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.webhookIndex(flowId, triggerId) },
    });
    // Flow ids are UUIDs; should two tenants ever share one, the URL is ambiguous: answer none.
    const [only, ...more] = items;
    return only && more.length === 0 ? toRegistration(only) : undefined;
  }

  async deleteRegistration(tenant: string, flowId: string, triggerId: string): Promise<void> {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(flowId) || !ID_PATTERN.test(triggerId)) return;
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: keys.flow(tenant, flowId), sk: keys.triggerSk(triggerId) },
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'deleting a trigger');
    }
  }

  async markScheduleFired(
    tenant: string,
    flowId: string,
    triggerId: string,
    instantIso: string,
  ): Promise<boolean> {
    this.check(tenant, flowId, triggerId);
    const instant = new Date(instantIso);
    if (Number.isNaN(instant.getTime())) throw new StoreError(`not an instant: ${instantIso}`);
    const now = this.clock();
    return putIfAbsent(
      this.client,
      this.tableName,
      {
        pk: keys.flow(tenant, flowId),
        sk: `${keys.firedSkPrefix(triggerId)}${instant.toISOString()}`,
        type: 'scheduleFired',
        firedAt: now.toISOString(),
        expiresAt: epochSeconds(instant) + FIRED_MARKER_TTL_SECONDS,
      },
      'marking a schedule fired',
    );
  }

  async lastScheduleFired(tenant: string, flowId: string, triggerId: string): Promise<string | undefined> {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(flowId) || !ID_PATTERN.test(triggerId)) return undefined;
    const prefix = keys.firedSkPrefix(triggerId);
    try {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.flow(tenant, flowId), ':prefix': prefix },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const item = result.Items?.[0];
      // An expired newest marker means every older one expired too.
      return item && !isExpired(item, this.clock()) ? (item.sk as string).slice(prefix.length) : undefined;
    } catch (error) {
      throw translateSdkError(error, 'reading a schedule marker');
    }
  }

  private check(tenant: string, flowId: string, triggerId: string): void {
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(flowId) || !ID_PATTERN.test(triggerId)) {
      throw new StoreError('tenant, flowId and triggerId must match [a-zA-Z0-9_-]{1,128}');
    }
  }

  private async queryAll(input: ConstructorParameters<typeof QueryCommand>[0]): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const result = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
        items.push(...(result.Items ?? []));
        startKey = result.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw translateSdkError(error, 'listing triggers');
    }
    return items;
  }
}

function toRegistration(item: Item): TriggerRegistration {
  return JSON.parse(item.registration as string) as TriggerRegistration;
}
