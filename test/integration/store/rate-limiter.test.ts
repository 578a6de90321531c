import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerializedRateLimiter } from '../../../lib/local/serialized-rate-limiter.ts';
import { RateLimiter } from '../../../lib/store/rate-limiter.ts';
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

/** The table's client, recording the condition of every request it sends. */
const counted = () => {
  const writes: string[] = [];
  const client = Object.create(db.client) as typeof db.client;
  client.send = ((command: { input: { ConditionExpression?: string } }) => {
    writes.push(command.input.ConditionExpression ?? '');
    return db.client.send(command as never);
  }) as typeof db.client.send;
  return { writes, client };
};

describe('RateLimiter', () => {
  it('allows a burst of capacity, then refuses with retryAfterSeconds, then refills', async () => {
    const limiter = new RateLimiter(db.client, db.tableName, clock, { capacity: 5, refillPerSecond: 0.5 });
    for (let i = 0; i < 5; i++) expect(await limiter.takeToken('key-1')).toEqual({ allowed: true });
    expect(await limiter.takeToken('key-1')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    now += 1000;
    expect(await limiter.takeToken('key-1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(await limiter.takeToken('key-1')).toEqual({ allowed: true });
    expect((await limiter.takeToken('key-1')).allowed).toBe(false);
    // A long idle period refills the whole bucket, not more.
    now += 3_600_000;
    for (let i = 0; i < 5; i++) expect((await limiter.takeToken('key-1')).allowed).toBe(true);
    expect((await limiter.takeToken('key-1')).allowed).toBe(false);
    // Other keys have their own buckets.
    expect((await limiter.takeToken('key-2')).allowed).toBe(true);
  });

  it('never hands out more tokens than the bucket holds under concurrency', async () => {
    const limiter = new RateLimiter(db.client, db.tableName, clock, { capacity: 4, refillPerSecond: 1 });
    const results = await Promise.all(Array.from({ length: 10 }, () => limiter.takeToken('key-concurrent')));
    expect(results.filter((r) => r.allowed)).toHaveLength(4);
  });

  it('makes one write per take whether the bucket is idle or busy, once it knows the key', async () => {
    const { writes, client } = counted();
    const limiter = new RateLimiter(client, db.tableName, clock, { capacity: 3, refillPerSecond: 1 });
    await limiter.takeToken('key-steady');
    writes.length = 0;
    // Busy: three takes within the same second (the bucket's tat runs ahead of now)...
    expect((await limiter.takeToken('key-steady')).allowed).toBe(true);
    expect((await limiter.takeToken('key-steady')).allowed).toBe(true);
    expect(writes).toHaveLength(2);
    // ...then idle again: the tat is behind now after a long pause.
    now += 60_000;
    expect((await limiter.takeToken('key-steady')).allowed).toBe(true);
    expect(writes).toHaveLength(3);
    expect(writes[2]).toContain('tat < :now');
  });

  it('takes a per-key limit', async () => {
    const limiter = new RateLimiter(db.client, db.tableName, clock);
    expect((await limiter.takeToken('key-small', { capacity: 1, refillPerSecond: 0.1 })).allowed).toBe(true);
    expect(await limiter.takeToken('key-small', { capacity: 1, refillPerSecond: 0.1 })).toEqual({
      allowed: false,
      retryAfterSeconds: 10,
    });
  });

  it('takes several tokens at once, all or none', async () => {
    const limiter = new RateLimiter(db.client, db.tableName, clock, { capacity: 5, refillPerSecond: 1 });
    expect(await limiter.takeTokens('key-many', 3)).toEqual({ allowed: true });
    // Two are left: three at once are refused and take none...
    expect((await limiter.takeTokens('key-many', 3)).allowed).toBe(false);
    expect(await limiter.takeTokens('key-many', 2)).toEqual({ allowed: true });
    expect((await limiter.takeToken('key-many')).allowed).toBe(false);
    now += 60_000;
    // ...and more than the bucket holds never fit, even idle.
    expect((await limiter.takeTokens('key-many', 6)).allowed).toBe(false);
    expect(await limiter.takeTokens('key-many', 5)).toEqual({ allowed: true });
    expect((await limiter.takeToken('key-many')).allowed).toBe(false);
  });
});

describe('SerializedRateLimiter over the DynamoDB bucket', () => {
  it('takes a burst on one key in a write per round trip, each take answered', async () => {
    const { writes, client } = counted();
    const limiter = new SerializedRateLimiter(
      new RateLimiter(client, db.tableName, clock, { capacity: 100, refillPerSecond: 10 }),
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => limiter.takeToken('key-burst')));
    expect(results.every((result) => result.allowed)).toBe(true);
    // The first take alone, the 19 that came meanwhile in one write.
    expect(writes).toHaveLength(2);
  });

  it('still gives a full bucket no more than it holds, one by one when all do not fit', async () => {
    const { client } = counted();
    const limiter = new SerializedRateLimiter(
      new RateLimiter(client, db.tableName, clock, { capacity: 4, refillPerSecond: 1 }),
    );
    const results = await Promise.all(Array.from({ length: 10 }, () => limiter.takeToken('key-full')));
    expect(results.filter((result) => result.allowed)).toHaveLength(4);
    expect(results.slice(0, 4).every((result) => result.allowed)).toBe(true);
    expect(results[9]).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });
});
