import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedExecutionStore } from '../../../lib/local/cached-execution-store.ts';
import { NotFoundError, VersionConflictError } from '../../../lib/store/errors.ts';
import { ExecutionStore } from '../../../lib/store/execution-store.ts';
import type { ExecutionItem, NewExecution } from '../../../lib/store/types.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';

let db: TestDynalite;
let store: ExecutionStore;

beforeAll(async () => {
  db = await startDynalite();
  store = new ExecutionStore(db.client, db.tableName);
});
afterAll(async () => {
  await db?.stop();
});

let counter = 0;
const start = (): NewExecution => ({
  executionId: `cached-${++counter}`,
  flowId: 'flow-1',
  version: 1,
  trigger: { id: null, type: 'api' },
  input: { orderId: counter },
  status: 'RUNNING',
});

/** The real store, counting its reads, with reads that can be held until released. */
const counting = (inner: ExecutionStore) => {
  const seen = { reads: 0, hold: undefined as Promise<void> | undefined };
  const front = Object.create(inner) as ExecutionStore;
  front.get = async (tenant, executionId) => {
    seen.reads++;
    const item = await inner.get(tenant, executionId);
    await seen.hold;
    return item;
  };
  return { front, seen };
};

describe('CachedExecutionStore', () => {
  it('answers a RUNNING execution from memory, a copy each time, for its own tenant only', async () => {
    const { front, seen } = counting(store);
    const cached = new CachedExecutionStore(front);
    const { execution } = await cached.create('acme', start());
    const first = await cached.get('acme', execution.executionId);
    (first.input as { orderId: number }).orderId = -1;
    const second = await cached.get('acme', execution.executionId);
    expect(seen.reads).toBe(0);
    expect(second).toEqual(execution);
    await expect(cached.get('other', execution.executionId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('drops an execution it writes, and reads finished ones from the store every time', async () => {
    const { front, seen } = counting(store);
    const cached = new CachedExecutionStore(front);
    const { execution } = await cached.create('acme', start());
    await cached.update('acme', execution.executionId, { status: 'SUCCEEDED', output: { ok: true } });
    expect((await cached.get('acme', execution.executionId)).status).toBe('SUCCEEDED');
    expect((await cached.get('acme', execution.executionId)).output).toEqual({ ok: true });
    expect(seen.reads).toBe(2);
  });

  it('refuses a conditional update that its last write rules out, without asking the store', async () => {
    const front = Object.create(store) as ExecutionStore;
    const updates: string[] = [];
    front.update = async (tenant, executionId, patch, options) => {
      updates.push(patch.status ?? '');
      return store.update(tenant, executionId, patch, options);
    };
    const cached = new CachedExecutionStore(front);
    const { execution } = await cached.create('acme', start());
    // Two writes at once, as the run end and a GET that saw the run end: one after the other.
    const [stored, refreshed] = await Promise.allSettled([
      cached.update('acme', execution.executionId, { status: 'SUCCEEDED', nodes: {} }),
      cached.update(
        'acme',
        execution.executionId,
        { status: 'SUCCEEDED', nodes: {} },
        { onlyIfStatus: ['RUNNING'] },
      ),
    ]);
    expect(stored).toMatchObject({ status: 'fulfilled', value: { status: 'SUCCEEDED' } });
    expect(refreshed).toMatchObject({ status: 'rejected', reason: { name: 'VersionConflictError' } });
    expect((refreshed as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    expect(updates).toEqual(['SUCCEEDED']);
    // A condition the last write allows still goes to the store.
    await cached.update('acme', execution.executionId, { status: 'FAILED' }, { onlyIfStatus: ['SUCCEEDED'] });
    expect(updates).toEqual(['SUCCEEDED', 'FAILED']);
    expect((await cached.get('acme', execution.executionId)).status).toBe('FAILED');
  });

  it('does not keep what a read saw when a write of the execution ended meanwhile', async () => {
    const { front, seen } = counting(store);
    const cached = new CachedExecutionStore(front);
    // Written behind the cache's back, so the first read goes to the store.
    const { execution } = await store.create('acme', start());
    let release!: () => void;
    seen.hold = new Promise((resolve) => {
      release = resolve;
    });
    const overlapping = cached.get('acme', execution.executionId);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the read has its (RUNNING) item
    await cached.update('acme', execution.executionId, { status: 'FAILED' });
    release();
    expect((await overlapping).status).toBe('RUNNING');
    seen.hold = undefined;
    const after: ExecutionItem = await cached.get('acme', execution.executionId);
    expect(after.status).toBe('FAILED');
  });
});
