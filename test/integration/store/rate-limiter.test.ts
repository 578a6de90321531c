import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const writes: string[] = [];
    const client = Object.create(db.client) as typeof db.client;
    client.send = ((command: { input: { ConditionExpression?: string } }) => {
      writes.push(command.input.ConditionExpression ?? '');
      return db.client.send(command as never);
    }) as typeof db.client.send;
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
});
