import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../../lib/store/api-key-store.ts';
import { AlreadyExistsError, NotFoundError } from '../../../lib/store/errors.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';

let db: TestDynalite;
let apiKeys: ApiKeyStore;

beforeAll(async () => {
  db = await startDynalite();
  apiKeys = new ApiKeyStore(db.client, db.tableName, () => new Date('2026-01-01T00:00:00Z'));
});
afterAll(async () => {
  await db?.stop();
});

describe('ApiKeyStore', () => {
  it('returns the plaintext once, finds the record by it, and never stores it', async () => {
    const { record, key } = await apiKeys.create({
      tenant: 'acme',
      name: 'ci',
      scopes: ['flows:read', 'admin'],
    });
    expect(key).toMatch(/^ffk_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ tenant: 'acme', name: 'ci', scopes: ['flows:read', 'admin'] });
    expect(await apiKeys.findByKey(key)).toEqual(record);
    expect(await apiKeys.findByKey(`${key}x`)).toBeUndefined();
    expect(await apiKeys.findByKey('')).toBeUndefined();
    const scan = await db.client.send(new ScanCommand({ TableName: db.tableName }));
    const dump = JSON.stringify(scan.Items);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(4));
  });

  it('imports a given key once', async () => {
    const given = 'local-admin-key-0123456789';
    const { record } = await apiKeys.create({
      tenant: 'default',
      name: 'env',
      scopes: ['admin'],
      key: given,
    });
    expect((await apiKeys.findByKey(given))?.keyId).toBe(record.keyId);
    await expect(
      apiKeys.create({ tenant: 'default', name: 'env', scopes: ['admin'], key: given }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('revokes: a revoked key is no longer found, and only its tenant may revoke it', async () => {
    const { record, key } = await apiKeys.create({ tenant: 'acme', name: 'temp', scopes: ['flows:write'] });
    await expect(apiKeys.revoke('other', record.keyId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(apiKeys.get('other', record.keyId)).rejects.toBeInstanceOf(NotFoundError);
    expect(await apiKeys.findByKey(key)).toBeDefined();
    const revoked = await apiKeys.revoke('acme', record.keyId);
    expect(revoked.revokedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(await apiKeys.findByKey(key)).toBeUndefined();
    expect((await apiKeys.revoke('acme', record.keyId)).revokedAt).toBe(revoked.revokedAt);
    expect((await apiKeys.get('acme', record.keyId)).revokedAt).toBeDefined();
  });

  it('lists the keys of one tenant with pagination', async () => {
    for (let i = 0; i < 3; i++)
      await apiKeys.create({ tenant: 'lister', name: `k${i}`, scopes: ['flows:read'] });
    const first = await apiKeys.list('lister', { limit: 2 });
    const second = await apiKeys.list('lister', { limit: 2, cursor: first.nextCursor });
    expect(first.items).toHaveLength(2);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect([...first.items, ...second.items].map((k) => k.name).sort()).toEqual(['k0', 'k1', 'k2']);
    expect((await apiKeys.list('nobody')).items).toEqual([]);
  });
});
