import type { RateLimit, RateLimiterPort, TakeTokenResult } from '../store/types.ts';

/**
 * Local mode's front of the DynamoDB token bucket: takes of one key run one after another. The
 * local server is the bucket's only client, so concurrent takes of one key would only collide in
 * their conditional writes (and, after the store's retries, refuse requests the bucket had room
 * for); in a row, each take is a single conditional write. Different keys still run in parallel.
 */
export class SerializedRateLimiter implements RateLimiterPort {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly limiter: RateLimiterPort) {}

  takeToken(keyId: string, limit?: RateLimit): Promise<TakeTokenResult> {
    const previous = this.tails.get(keyId) ?? Promise.resolve();
    const take = previous.then(
      () => this.limiter.takeToken(keyId, limit),
      () => this.limiter.takeToken(keyId, limit),
    );
    this.tails.set(keyId, take);
    void take
      .catch(() => undefined)
      .finally(() => {
        if (this.tails.get(keyId) === take) this.tails.delete(keyId);
      });
    return take;
  }
}
