import type { RateLimit, RateLimiterPort, TakeTokenResult } from '../store/types.ts';

/**
 * A per-key token bucket in this process's memory, with the DynamoDB bucket's arithmetic (GCRA:
 * a theoretical arrival time advanced by `1 / refillPerSecond` per token, up to `capacity - 1`
 * intervals ahead of now). For local mode only, opted into with `FLOWFORGE_RATE_LIMITER=memory`:
 * one process serves every key there, so no shared store is needed, and the API's hot path makes
 * no store write. Buckets start full again after a restart.
 */
export class MemoryRateLimiter implements RateLimiterPort {
  private readonly tats = new Map<string, number>();

  constructor(
    private readonly defaults: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  async takeToken(keyId: string, limit: RateLimit = this.defaults): Promise<TakeTokenResult> {
    const interval = 1000 / limit.refillPerSecond;
    const burst = (Math.max(1, limit.capacity) - 1) * interval;
    const now = this.now();
    const tat = Math.max(this.tats.get(keyId) ?? now, now);
    if (tat > now + burst) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((tat - burst - now) / 1000)) };
    }
    if (this.tats.size >= 100_000) this.tats.clear();
    this.tats.set(keyId, tat + interval);
    return { allowed: true };
  }
}
