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

  it('takes a per-key limit', async () => {
    const limiter = new RateLimiter(db.client, db.tableName, clock);
    expect((await limiter.takeToken('key-small', { capacity: 1, refillPerSecond: 0.1 })).allowed).toBe(true);
    expect(await limiter.takeToken('key-small', { capacity: 1, refillPerSecond: 0.1 })).toEqual({
      allowed: false,
      retryAfterSeconds: 10,
    });
  });
});
