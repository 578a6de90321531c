import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../lib/store/audit-log.ts';
import { InvalidCursorError } from '../../../lib/store/errors.ts';
import { createTable } from '../../../lib/store/table.ts';
import { TriggerStateStore } from '../../../lib/store/trigger-state-store.ts';
import { WebhookReplayGuard } from '../../../lib/store/webhook-replay-guard.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';

let db: TestDynalite;
let now = Date.UTC(2026, 0, 1);
const clock = () => new Date(now);

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

describe('AuditLog', () => {
  it('appends entries and lists them newest first per tenant', async () => {
    const audit = new AuditLog(db.client, db.tableName, clock);
    for (const action of ['flow.create', 'flow.update', 'execution.start']) {
      now += 1000;
      await audit.append({
        tenant: 'acme',
        actor: 'key_1',
        action,
        resource: 'flow/f1',
        sourceIp: '203.0.113.9',
        requestId: `req-${action}`,
        details: { version: 2 },
      });
    }
    await audit.append({ tenant: 'other', actor: 'key_9', action: 'flow.create', resource: 'flow/f9' });
    const first = await audit.list('acme', { limit: 2 });
    expect(first.items.map((e) => e.action)).toEqual(['execution.start', 'flow.update']);
    expect(first.items[0]).toMatchObject({
      actor: 'key_1',
      sourceIp: '203.0.113.9',
      details: { version: 2 },
    });
    const second = await audit.list('acme', { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((e) => e.action)).toEqual(['flow.create']);
    expect((await audit.list('other')).items).toHaveLength(1);
    await expect(audit.list('other', { cursor: first.nextCursor })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});

describe('WebhookReplayGuard', () => {
  it('accepts an id once within its ttl, again after it expired', async () => {
    const guard = new WebhookReplayGuard(db.client, db.tableName, clock);
    expect(await guard.remember('acme', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 300)).toBe(true);
    expect(await guard.remember('acme', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 300)).toBe(false);
    expect(await guard.remember('other', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 300)).toBe(true);
    now += 301_000;
    expect(await guard.remember('acme', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 300)).toBe(true);
    const racers = await Promise.all([0, 1, 2, 3].map(() => guard.remember('acme', 'concurrent', 60)));
    expect(racers.filter(Boolean)).toHaveLength(1);
  });
});

describe('TriggerStateStore', () => {
  it('marks a schedule instant fired once and remembers the latest', async () => {
    const triggers = new TriggerStateStore(db.client, db.tableName, clock);
    expect(await triggers.lastScheduleFired('acme', 'f1', 'nightly')).toBeUndefined();
    expect(await triggers.markScheduleFired('acme', 'f1', 'nightly', '2026-01-01T02:00:00Z')).toBe(true);
    expect(await triggers.markScheduleFired('acme', 'f1', 'nightly', '2026-01-01T02:00:00.000Z')).toBe(false);
    expect(await triggers.markScheduleFired('acme', 'f1', 'nightly', '2026-01-02T02:00:00Z')).toBe(true);
    expect(await triggers.markScheduleFired('acme', 'f1', 'other', '2026-01-01T02:00:00Z')).toBe(true);
    expect(await triggers.lastScheduleFired('acme', 'f1', 'nightly')).toBe('2026-01-02T02:00:00.000Z');
    const racers = await Promise.all(
      [0, 1, 2].map(() => triggers.markScheduleFired('acme', 'f1', 'nightly', '2026-01-03T02:00:00Z')),
    );
    expect(racers.filter(Boolean)).toHaveLength(1);
  });

  it('registers triggers and finds a webhook by flow and trigger id alone', async () => {
    const triggers = new TriggerStateStore(db.client, db.tableName, clock);
    await triggers.putRegistration({
      tenant: 'acme',
      flowId: 'flow-h',
      triggerId: 'received',
      type: 'webhook',
      version: 1,
      enabled: true,
      secretRef: 'secret/acme/flow-h/received',
    });
    await triggers.putRegistration({
      tenant: 'acme',
      flowId: 'flow-h',
      triggerId: 'nightly',
      type: 'schedule',
      version: 1,
      enabled: true,
      schedule: { cron: '0 2 * * ? *', timezone: 'Europe/Berlin' },
    });
    await triggers.markScheduleFired('acme', 'flow-h', 'nightly', '2026-01-01T02:00:00Z');
    const listed = await triggers.listRegistrations('acme', 'flow-h');
    expect(listed.map((r) => r.triggerId).sort()).toEqual(['nightly', 'received']);
    expect(await triggers.findWebhook('flow-h', 'received')).toMatchObject({
      tenant: 'acme',
      secretRef: 'secret/acme/flow-h/received',
    });
    expect(await triggers.findWebhook('flow-h', 'nightly')).toBeUndefined();
    expect(await triggers.findRegistration('other', 'flow-h', 'received')).toBeUndefined();
    await triggers.deleteRegistration('acme', 'flow-h', 'received');
    expect(await triggers.findWebhook('flow-h', 'received')).toBeUndefined();
  });
});

describe('createTable', () => {
  it('is idempotent', async () => {
    await createTable(db.client, db.tableName);
    await createTable(db.client, 'second-table');
    await createTable(db.client, 'second-table');
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: 'second-table' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
  });
});
