import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packJson } from '../../../lib/store/codec.ts';
import {
  AlreadyExistsError,
  InvalidCursorError,
  NotFoundError,
  VersionConflictError,
} from '../../../lib/store/errors.ts';
import { ExecutionStore } from '../../../lib/store/execution-store.ts';
import type { NewExecution } from '../../../lib/store/types.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';

let db: TestDynalite;
let now = Date.UTC(2026, 0, 1);
const clock = () => {
  now += 1000;
  return new Date(now);
};
let executions: ExecutionStore;

beforeAll(async () => {
  db = await startDynalite();
  executions = new ExecutionStore(db.client, db.tableName, clock, 3600);
});
afterAll(async () => {
  await db?.stop();
});

const start = (flowId: string, extra: Partial<NewExecution> = {}): NewExecution => ({
  flowId,
  version: 1,
  trigger: { id: null, type: 'api' },
  input: { orderId: 42, deep: { a: [1, 2, { b: 'c' }] } },
  ...extra,
});

describe('ExecutionStore', () => {
  it('creates, reads and updates an execution', async () => {
    const { execution, created } = await executions.create('acme', start('flow-1'));
    expect(created).toBe(true);
    expect(execution.status).toBe('RUNNING');
    expect(await executions.get('acme', execution.executionId)).toEqual(execution);
    const nodes = {
      say: { status: 'succeeded' as const, output: { message: 'hi' }, startedAt: 'a', finishedAt: 'b' },
    };
    const updated = await executions.update('acme', execution.executionId, {
      status: 'SUCCEEDED',
      finishedAt: '2026-01-01T00:01:00.000Z',
      output: { ok: true },
      nodes,
      executionArn: 'arn:exec',
    });
    expect(updated).toMatchObject({
      status: 'SUCCEEDED',
      output: { ok: true },
      nodes,
      executionArn: 'arn:exec',
    });
    expect(updated.input).toEqual(execution.input);
    expect(await executions.get('acme', execution.executionId)).toEqual(updated);
  });

  it('takes nodes packed elsewhere as they are, and decodes them only when read', async () => {
    const { execution } = await executions.create('acme', start('flow-packed'));
    const nodes = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [
        `n${i}`,
        { status: 'succeeded' as const, output: { i }, startedAt: 'a', finishedAt: 'b' },
      ]),
    );
    const packedNodes = packJson(nodes);
    expect(packedNodes).toBeInstanceOf(Uint8Array);
    const updated = await executions.update('acme', execution.executionId, {
      status: 'SUCCEEDED',
      packedNodes,
    });
    expect(updated.status).toBe('SUCCEEDED');
    expect(updated.nodes).toEqual(nodes);
    expect(await executions.get('acme', execution.executionId)).toEqual(updated);
    // `nodes` wins over `packedNodes` when both are given.
    const replaced = await executions.update('acme', execution.executionId, {
      nodes: {},
      packedNodes,
    });
    expect((await executions.get('acme', execution.executionId)).nodes).toEqual({});
    expect(replaced.nodes).toEqual({});
  });

  it('makes status updates conditional when asked', async () => {
    const { execution } = await executions.create('acme', start('flow-1'));
    await executions.update(
      'acme',
      execution.executionId,
      { status: 'ABORTED' },
      { onlyIfStatus: ['RUNNING'] },
    );
    await expect(
      executions.update(
        'acme',
        execution.executionId,
        { status: 'SUCCEEDED' },
        { onlyIfStatus: ['RUNNING'] },
      ),
    ).rejects.toBeInstanceOf(VersionConflictError);
    await expect(executions.update('acme', 'missing', { status: 'FAILED' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('refuses a taken execution id', async () => {
    await executions.create('acme', start('flow-1', { executionId: 'exec-fixed' }));
    await expect(
      executions.create('acme', start('flow-1', { executionId: 'exec-fixed' })),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('returns the same execution for the same idempotency key, also under concurrency', async () => {
    const first = await executions.create('acme', start('flow-2', { idempotencyKey: 'order-42 / retry #1' }));
    const again = await executions.create('acme', start('flow-2', { idempotencyKey: 'order-42 / retry #1' }));
    expect(again.created).toBe(false);
    expect(again.execution.executionId).toBe(first.execution.executionId);
    expect((await executions.findByIdempotencyKey('acme', 'order-42 / retry #1'))?.executionId).toBe(
      first.execution.executionId,
    );
    // Another tenant's same key is its own.
    const other = await executions.create(
      'other',
      start('flow-2', { idempotencyKey: 'order-42 / retry #1' }),
    );
    expect(other.created).toBe(true);

    const racers = await Promise.all(
      [0, 1, 2, 3].map(() => executions.create('acme', start('flow-2', { idempotencyKey: 'race' }))),
    );
    expect(racers.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(racers.map((r) => r.execution.executionId)).size).toBe(1);
  });

  it("takes an id given with the key as the key's own: the same item for the same key, ever", async () => {
    const keyed = start('flow-2', { executionId: 'api-keyed-1', idempotencyKey: 'keyed-1' });
    const first = await executions.create('acme', keyed);
    now += 7200 * 1000; // past the marker TTL: the id, not a marker, is what makes it the same
    const again = await executions.create('acme', keyed);
    expect(first.created).toBe(true);
    expect(again).toEqual({ execution: first.execution, created: false });
    // No marker was written: the key is found through its id only.
    expect(await executions.findByIdempotencyKey('acme', 'keyed-1')).toBeUndefined();
    await expect(
      executions.create('acme', start('flow-2', { executionId: 'api-keyed-1', idempotencyKey: 'other' })),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('reuses an idempotency key after it expired', async () => {
    const first = await executions.create('acme', start('flow-2', { idempotencyKey: 'short-lived' }));
    now += 3601 * 1000;
    expect(await executions.findByIdempotencyKey('acme', 'short-lived')).toBeUndefined();
    const second = await executions.create('acme', start('flow-2', { idempotencyKey: 'short-lived' }));
    expect(second.created).toBe(true);
    expect(second.execution.executionId).not.toBe(first.execution.executionId);
  });

  it('lists per flow and per tenant, newest first, with cursors', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await executions.create('lister', start('flow-a'))).execution.executionId);
    await executions.create('lister', start('flow-b'));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await executions.listByFlow('lister', 'flow-a', { limit: 2, cursor });
      seen.push(...page.items.map((e) => e.executionId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const all = await executions.listByTenant('lister', { limit: 100 });
    expect(all.items).toHaveLength(6);
    expect(all.items[0]?.flowId).toBe('flow-b');
    const flowPage = await executions.listByFlow('lister', 'flow-a', { limit: 1 });
    await expect(executions.listByTenant('lister', { cursor: flowPage.nextCursor })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it('isolates tenants', async () => {
    const { execution } = await executions.create('tenant-a', start('flow-x'));
    await executions.create('tenant-a', start('flow-x'));
    await expect(executions.get('tenant-b', execution.executionId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      executions.update('tenant-b', execution.executionId, { status: 'ABORTED' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await executions.listByFlow('tenant-b', 'flow-x')).items).toEqual([]);
    expect((await executions.listByTenant('tenant-b')).items).toEqual([]);
    const pageA = await executions.listByFlow('tenant-a', 'flow-x', { limit: 1 });
    expect(pageA.nextCursor).toBeDefined();
    await expect(
      executions.listByFlow('tenant-b', 'flow-x', { cursor: pageA.nextCursor }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    const tenantPage = await executions.listByTenant('tenant-a', { limit: 1 });
    await expect(
      executions.listByTenant('tenant-b', { cursor: tenantPage.nextCursor }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('finds unfinished executions for startup recovery', async () => {
    const { execution } = await executions.create('recover', start('flow-r'));
    const done = await executions.create('recover', start('flow-r'));
    await executions.update('recover', done.execution.executionId, { status: 'SUCCEEDED' });
    const unfinished: string[] = [];
    for await (const e of executions.listUnfinished()) unfinished.push(e.executionId);
    expect(unfinished).toContain(execution.executionId);
    expect(unfinished).not.toContain(done.execution.executionId);
  });

  it('keeps large documents (compressed) and refuses what cannot fit', async () => {
    const big = { rows: Array.from({ length: 5000 }, (_, i) => ({ i, text: `row ${i} of a large output` })) };
    const { execution } = await executions.create('acme', start('flow-1', { input: big }));
    expect((await executions.get('acme', execution.executionId)).input).toEqual(big);
  });
});
