import { describe, expect, it } from 'vitest';
import { CachedFlowStore } from '../../../lib/local/cached-flow-store.ts';
import { MemoryRateLimiter } from '../../../lib/local/memory-rate-limiter.ts';
import { SerializedRateLimiter } from '../../../lib/local/serialized-rate-limiter.ts';
import type { FlowStorePort, FlowSummary, RateLimiterPort } from '../../../lib/store/types.ts';

describe('MemoryRateLimiter', () => {
  it('allows a burst of `capacity`, then refills at `refillPerSecond` and says when to retry', async () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter({ capacity: 3, refillPerSecond: 1 }, () => now);
    const takes = [];
    for (let i = 0; i < 4; i++) takes.push(await limiter.takeToken('k'));
    expect(takes.map((t) => t.allowed)).toEqual([true, true, true, false]);
    expect(takes[3]).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect((await limiter.takeToken('other')).allowed).toBe(true);
    now += 1000;
    expect((await limiter.takeToken('k')).allowed).toBe(true);
    expect((await limiter.takeToken('k')).allowed).toBe(false);
    const own = { capacity: 2, refillPerSecond: 10 };
    const ownTakes = [];
    for (let i = 0; i < 3; i++) ownTakes.push((await limiter.takeToken('fast', own)).allowed);
    expect(ownTakes).toEqual([true, true, false]);
    now += 100;
    expect((await limiter.takeToken('fast', own)).allowed).toBe(true);
  });
});

describe('SerializedRateLimiter', () => {
  it('runs the takes of one key one after another, other keys alongside', async () => {
    let running = 0;
    let most = 0;
    const calls: string[] = [];
    const inner: RateLimiterPort = {
      takeToken: async (keyId) => {
        calls.push(keyId);
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        if (keyId === 'boom') throw new Error('store down');
        return { allowed: true };
      },
    };
    const limiter = new SerializedRateLimiter(inner);
    await Promise.all(Array.from({ length: 5 }, () => limiter.takeToken('a')));
    expect(most).toBe(1);
    await expect(limiter.takeToken('boom')).rejects.toThrow('store down');
    expect(await limiter.takeToken('boom').catch(() => 'failed again')).toBe('failed again');
    most = 0;
    await Promise.all([limiter.takeToken('x'), limiter.takeToken('y')]);
    expect(most).toBe(2);
  });
});

describe('CachedFlowStore', () => {
  const head = (version: number): FlowSummary => ({
    tenant: 't',
    flowId: 'f',
    name: 'n',
    latestVersion: version,
    createdAt: 'c',
    updatedAt: 'u',
  });

  it('serves heads from memory and drops them when the flow is written', async () => {
    let version = 1;
    let reads = 0;
    const store = {
      getFlow: async () => {
        reads++;
        return head(version);
      },
      saveVersion: async () => {
        version++;
        return {};
      },
    } as unknown as FlowStorePort;
    const cached = new CachedFlowStore(store);
    expect((await cached.getFlow('t', 'f')).latestVersion).toBe(1);
    expect((await cached.getFlow('t', 'f')).latestVersion).toBe(1);
    expect(reads).toBe(1);
    await cached.saveVersion('t', 'f', 1, {} as never);
    expect((await cached.getFlow('t', 'f')).latestVersion).toBe(2);
    expect(reads).toBe(2);
  });

  it('does not keep a head read while a write of the same flow was under way', async () => {
    let version = 1;
    let releaseRead: () => void = () => {};
    const store = {
      getFlow: async () => {
        const seen = version;
        await new Promise<void>((resolve) => {
          releaseRead = resolve;
        });
        return head(seen);
      },
      deleteFlow: async () => {
        version = 99;
        return head(1);
      },
    } as unknown as FlowStorePort;
    const cached = new CachedFlowStore(store);
    const slowRead = cached.getFlow('t', 'f');
    await cached.deleteFlow('t', 'f');
    releaseRead();
    expect((await slowRead).latestVersion).toBe(1);
    const next = cached.getFlow('t', 'f');
    releaseRead();
    expect((await next).latestVersion).toBe(99);
  });
});
