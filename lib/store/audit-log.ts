import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { compact, unpackJson } from './codec.ts';
import { StoreError, translateSdkError } from './errors.ts';
import { queryPage } from './query.ts';
import { ID_PATTERN, keys } from './table.ts';
import type { AuditEntry, AuditLogPort, Clock, NewAuditEntry, Page, PageRequest } from './types.ts';

type Item = Record<string, unknown>;

/**
 * The audit log: one item per entry in the tenant's audit partition, sorted by time, so the
 * newest-first listing is one Query. (A very busy tenant would shard this partition by day.)
 */
export class AuditLog implements AuditLogPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    if (!ID_PATTERN.test(entry.tenant)) throw new StoreError('tenant must match [a-zA-Z0-9_-]{1,128}');
    const stored: AuditEntry = compact({ ...entry, auditId: randomUUID(), at: this.clock().toISOString() });
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: compact({
            pk: keys.audit(entry.tenant),
            sk: `${stored.at}#${stored.auditId}`,
            type: 'audit',
            tenant: stored.tenant,
            auditId: stored.auditId,
            at: stored.at,
            actor: stored.actor,
            action: stored.action,
            resource: stored.resource,
            sourceIp: stored.sourceIp,
            requestId: stored.requestId,
            details: stored.details === undefined ? undefined : JSON.stringify(stored.details),
          }),
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'appending to the audit log');
    }
    return stored;
  }

  async list(tenant: string, page?: PageRequest): Promise<Page<AuditEntry>> {
    if (!ID_PATTERN.test(tenant)) return { items: [] };
    return queryPage(
      this.client,
      {
        tableName: this.tableName,
        name: 'audit',
        partition: keys.audit(tenant),
        pkPrefix: keys.audit(tenant),
        newestFirst: true,
        map: toEntry,
        now: this.clock(),
      },
      page,
    );
  }
}

function toEntry(item: Item): AuditEntry {
  return compact({
    tenant: item.tenant as string,
    auditId: item.auditId as string,
    at: item.at as string,
    actor: item.actor as string,
    action: item.action as string,
    resource: item.resource as string,
    sourceIp: item.sourceIp as string | undefined,
    requestId: item.requestId as string | undefined,
    details: unpackJson(item.details) as Record<string, unknown> | undefined,
  });
}
