import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  InvalidCursorError,
  NotFoundError,
  VersionConflictError,
} from '../../../lib/store/errors.ts';
import { FlowStore } from '../../../lib/store/flow-store.ts';
import { keys } from '../../../lib/store/table.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { largeVersionInput, versionInput } from './fixtures.ts';

let db: TestDynalite;
let flows: FlowStore;
let tick = 0;
const clock = () => new Date(Date.UTC(2026, 0, 1) + tick++ * 1000);

beforeAll(async () => {
  db = await startDynalite();
  flows = new FlowStore(db.client, db.tableName, clock);
});
afterAll(async () => {
  await db?.stop();
});

describe('FlowStore', () => {
  it('creates a flow at version 1 and reads it back', async () => {
    const created = await flows.createFlow('acme', versionInput('first'));
    expect(created.version).toBe(1);
    const head = await flows.getFlow('acme', created.flowId);
    expect(head).toMatchObject({ tenant: 'acme', flowId: created.flowId, name: 'first', latestVersion: 1 });
    const version = await flows.getVersion('acme', created.flowId);
    expect(version.definition).toEqual(versionInput('first').definition);
    expect(version.compiled).toEqual(versionInput('first').compiled);
    expect(version.report.states).toBe(1);
    expect(version.triggers).toEqual([{ id: 'start', type: 'manual' }]);
  });

  it('refuses a given flowId that is taken', async () => {
    await flows.createFlow('acme', { ...versionInput(), flowId: 'fixed-id' });
    await expect(flows.createFlow('acme', { ...versionInput(), flowId: 'fixed-id' })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
  });

  it('saves versions with the expected version and refuses a stale one', async () => {
    const { flowId } = await flows.createFlow('acme', versionInput('v1'));
    const v2 = await flows.saveVersion('acme', flowId, 1, versionInput('v2'));
    expect(v2.version).toBe(2);
    await expect(flows.saveVersion('acme', flowId, 1, versionInput('stale'))).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    await expect(flows.saveVersion('acme', flowId, 7, versionInput('future'))).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect((await flows.getFlow('acme', flowId)).name).toBe('v2');
    expect((await flows.getVersion('acme', flowId, 1)).definition.name).toBe('v1');
    expect((await flows.getVersion('acme', flowId)).definition.name).toBe('v2');
    await expect(flows.getVersion('acme', flowId, 3)).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([2, 3, 5])(
    'lets exactly one of %i concurrent saves with one expected version win',
    async (writers) => {
      const { flowId } = await flows.createFlow('race', versionInput('base'));
      const results = await Promise.allSettled(
        Array.from({ length: writers }, (_, i) =>
          flows.saveVersion('race', flowId, 1, versionInput(`writer-${i}`)),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(writers - 1);
      for (const r of lost) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
      const winner = (won[0] as PromiseFulfilledResult<{ definition: { name: string } }>).value;
      const stored = await flows.getVersion('race', flowId, 2);
      expect(stored.definition.name).toBe(winner.definition.name);
      expect((await flows.getFlow('race', flowId)).latestVersion).toBe(2);
      // No lost version: the next save goes on from 2.
      expect((await flows.saveVersion('race', flowId, 2, versionInput('after'))).version).toBe(3);
      const listed = await flows.listVersions('race', flowId);
      expect(listed.items.map((v) => v.version)).toEqual([3, 2, 1]);
    },
  );

  it('keeps saving correctly through a chain of concurrent rounds', async () => {
    const { flowId } = await flows.createFlow('race', versionInput('base'));
    let version = 1;
    for (let round = 0; round < 4; round++) {
      const results = await Promise.allSettled(
        [0, 1, 2].map((i) => flows.saveVersion('race', flowId, version, versionInput(`r${round}-${i}`))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      version++;
    }
    expect((await flows.getFlow('race', flowId)).latestVersion).toBe(5);
  });

  it('recovers from a saver that died between its two writes (orphan version rolled forward)', async () => {
    const { flowId } = await flows.createFlow('crash', versionInput('v1'));
    // Simulate a crash: the version item exists, the head was never moved.
    const crashed = new FlowStore(db.client, db.tableName, clock);
    // biome-ignore lint/suspicious/noExplicitAny: reaching a private step to simulate a crash
    await (crashed as any).putVersionItem(
      'crash',
      flowId,
      2,
      'dead-writer',
      versionInput('orphan'),
      clock().toISOString(),
    );
    expect((await flows.getFlow('crash', flowId)).latestVersion).toBe(1);
    await expect(flows.getVersion('crash', flowId, 2)).rejects.toBeInstanceOf(NotFoundError);
    expect((await flows.getVersion('crash', flowId)).definition.name).toBe('v1');
    expect((await flows.listVersions('crash', flowId)).items.map((v) => v.version)).toEqual([1]);
    // The next saver with the same expected version finds the orphan, rolls forward, and conflicts.
    await expect(flows.saveVersion('crash', flowId, 1, versionInput('late'))).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect((await flows.getFlow('crash', flowId)).latestVersion).toBe(2);
    expect((await flows.getVersion('crash', flowId, 2)).definition.name).toBe('orphan');
    expect((await flows.saveVersion('crash', flowId, 2, versionInput('v3'))).version).toBe(3);
  });

  it('records the deployed machine of a version once', async () => {
    const { flowId } = await flows.createFlow('acme', versionInput());
    const machine = { stateMachineArn: 'arn:sm', versionArn: 'arn:sm:1' };
    await flows.setMachine('acme', flowId, 1, machine);
    await flows.setMachine('acme', flowId, 1, machine);
    expect((await flows.getVersion('acme', flowId, 1)).machine).toEqual(machine);
    await expect(
      flows.setMachine('acme', flowId, 1, { ...machine, versionArn: 'arn:sm:9' }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(flows.setMachine('acme', flowId, 4, machine)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('soft-deletes: a deleted flow is not found, listed or saved', async () => {
    const { flowId } = await flows.createFlow('gone', versionInput('doomed'));
    const kept = await flows.createFlow('gone', versionInput('kept'));
    await flows.deleteFlow('gone', flowId);
    await expect(flows.getFlow('gone', flowId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.getVersion('gone', flowId, 1)).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.listVersions('gone', flowId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.saveVersion('gone', flowId, 1, versionInput())).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.deleteFlow('gone', flowId)).rejects.toBeInstanceOf(NotFoundError);
    expect((await flows.listFlows('gone')).items.map((f) => f.flowId)).toEqual([kept.flowId]);
  });

  it('paginates flows newest first with a cursor round trip', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await flows.createFlow('pages', versionInput(`f${i}`))).flowId);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await flows.listFlows('pages', { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((f) => f.flowId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('paginates versions and rejects tampered and foreign cursors', async () => {
    const { flowId } = await flows.createFlow('pages', versionInput());
    for (let v = 1; v < 5; v++) await flows.saveVersion('pages', flowId, v, versionInput(`v${v + 1}`));
    const first = await flows.listVersions('pages', flowId, { limit: 2 });
    expect(first.items.map((v) => v.version)).toEqual([5, 4]);
    expect(first.nextCursor).toBeDefined();
    const second = await flows.listVersions('pages', flowId, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((v) => v.version)).toEqual([3, 2]);
    // Tampered: flip a character, and a cursor re-pointed at another tenant's partition.
    const cursor = String(first.nextCursor);
    const flipped = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
    await expect(flows.listVersions('pages', flowId, { cursor: flipped })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(flows.listVersions('pages', flowId, { cursor: 'not a cursor!' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const forged = Buffer.from(
      JSON.stringify({ ...decoded, k: { ...decoded.k, pk: keys.flow('other', flowId) } }),
    ).toString('base64url');
    await expect(flows.listVersions('pages', flowId, { cursor: forged })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    // A flows-listing cursor is not a versions cursor.
    const flowsPage = await flows.listFlows('pages', { limit: 1 });
    await expect(
      flows.listVersions('pages', flowId, { cursor: flowsPage.nextCursor }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('isolates tenants: ids and cursors of tenant A answer nothing for tenant B', async () => {
    const a = await flows.createFlow('tenant-a', versionInput('secret'));
    await flows.createFlow('tenant-a', versionInput('secret-2'));
    await expect(flows.getFlow('tenant-b', a.flowId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.getVersion('tenant-b', a.flowId, 1)).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.listVersions('tenant-b', a.flowId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.saveVersion('tenant-b', a.flowId, 1, versionInput())).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(flows.deleteFlow('tenant-b', a.flowId)).rejects.toBeInstanceOf(NotFoundError);
    expect((await flows.listFlows('tenant-b')).items).toEqual([]);
    const pageA = await flows.listFlows('tenant-a', { limit: 1 });
    await expect(flows.listFlows('tenant-b', { cursor: pageA.nextCursor })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    // Ids that try to break out of the key layout are simply not found.
    await expect(flows.getFlow('tenant-b', `x#FLOW#${a.flowId}`)).rejects.toBeInstanceOf(NotFoundError);
    await expect(flows.getFlow('tenant-a#FLOW', a.flowId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('stores a 1,300-node definition with its ASL compressed under the item limit', async () => {
    // 1,300 nodes: the compiled ASL is ~650 B per node (raw), so definition + ASL stay over 900 KB.
    const input = largeVersionInput(1300);
    const rawBytes = Buffer.byteLength(JSON.stringify({ d: input.definition, c: input.compiled }));
    expect(rawBytes).toBeGreaterThan(900_000);
    const { flowId } = await flows.createFlow('big', input);
    const stored = await flows.getVersion('big', flowId);
    expect(stored.compiled).toEqual(input.compiled);
    expect(stored.definition).toEqual(input.definition);
    const scan = await db.client.send(new ScanCommand({ TableName: db.tableName }));
    const item = scan.Items?.find((i) => i.pk === keys.flow('big', flowId) && i.sk === keys.versionSk(1));
    const body = item?.body as Uint8Array | undefined;
    expect(body).toBeInstanceOf(Uint8Array);
    expect(body?.byteLength ?? Number.POSITIVE_INFINITY).toBeLessThan(100_000);
    expect(item?.parts).toBeUndefined();
  });

  it('splits an incompressible version into part items and reads it back', async () => {
    const input = versionInput('noise');
    const noisy = {
      ...input,
      definition: { ...input.definition, description: randomBytes(600_000).toString('base64') },
    };
    const { flowId } = await flows.createFlow('big', noisy);
    const saved = await flows.saveVersion('big', flowId, 1, noisy);
    expect(saved.version).toBe(2);
    const stored = await flows.getVersion('big', flowId, 2);
    expect(stored.definition.description).toBe(noisy.definition.description);
    const listed = await flows.listVersions('big', flowId);
    expect(listed.items.map((v) => v.version)).toEqual([2, 1]);
  });
});
