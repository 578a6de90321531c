import type { RateLimit, RateLimiterPort, TakeTokenResult } from '../store/types.ts';

interface Waiting {
  limit: RateLimit | undefined;
  settle: (result: TakeTokenResult | Error) => void;
}

const sameLimit = (a: RateLimit | undefined, b: RateLimit | undefined): boolean =>
  a === b || (a?.capacity === b?.capacity && a?.refillPerSecond === b?.refillPerSecond);

/**
 * Local mode's front of the DynamoDB token bucket: takes of one key run one after another. The
 * local server is the bucket's only client, so concurrent takes of one key would only collide in
 * their conditional writes (and, after the store's retries, refuse requests the bucket had room
 * for); in a row, each take is a single conditional write. Takes that arrived while a write of
 * their key was in flight go together in the next one (`takeTokens`, all or none, when the store
 * has it): a burst on one key costs a write per round trip, not per request. When the bucket
 * cannot give them all, they are taken one by one, as before. Different keys still run in parallel.
 */
export class SerializedRateLimiter implements RateLimiterPort {
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(private readonly limiter: RateLimiterPort) {}

  takeToken(keyId: string, limit?: RateLimit): Promise<TakeTokenResult> {
    return new Promise<TakeTokenResult>((resolve, reject) => {
      const settle = (result: TakeTokenResult | Error) =>
        result instanceof Error ? reject(result) : resolve(result);
      const queue = this.waiting.get(keyId);
      if (queue) {
        queue.push({ limit, settle });
        return;
      }
      this.waiting.set(keyId, [{ limit, settle }]);
      void this.drain(keyId);
    });
  }

  /** Takes what waits for `keyId`, a batch per write, until nothing does. */
  private async drain(keyId: string): Promise<void> {
    const queue = this.waiting.get(keyId) ?? [];
    while (queue.length > 0) {
      const first = queue[0] as Waiting;
      let count = 1;
      while (count < queue.length && sameLimit(queue[count]?.limit, first.limit)) count++;
      const batch = queue.splice(0, count);
      if (batch.length > 1 && this.limiter.takeTokens) {
        const all = await this.limiter.takeTokens(keyId, batch.length, first.limit).catch(toError);
        if (all instanceof Error || all.allowed) {
          for (const one of batch) one.settle(all);
          continue;
        }
      }
      for (const one of batch) one.settle(await this.limiter.takeToken(keyId, one.limit).catch(toError));
    }
    this.waiting.delete(keyId);
  }
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
