import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, translateSdkError } from './errors.ts';
import { keys } from './table.ts';
import type { Clock, RateLimit, RateLimiterPort, TakeTokenResult } from './types.ts';

/** The limit of keys without their own: bursts of 20, 10 requests per second sustained. */
export const DEFAULT_RATE_LIMIT: RateLimit = { capacity: 20, refillPerSecond: 10 };

/**
 * A token bucket per API key in DynamoDB, as GCRA: the item holds one number, `tat` (the
 * theoretical arrival time, epoch ms). A request at `now` is allowed iff
 * `tat <= now + (capacity - 1) * interval`, and then `tat = max(tat, now) + interval`.
 * DynamoDB cannot compute `max`, so each attempt is a single conditional update for one side:
 * first `tat < now` (an idle bucket: `tat = now + interval`), then `now <= tat <= now + burst`
 * (`tat = tat + interval`). Both failing means the bucket is empty; one read then gives
 * `retryAfterSeconds`. Concurrent takers never both spend the same token.
 *
 * Which side is tried first follows the `tat` this instance last wrote for the key (each update
 * returns it): behind `now`, the idle side; else the busy one. With one writer per bucket (local
 * mode) that guess is always right, so a take is one write; with many it is a hint, and a wrong
 * guess costs one failed conditional write, never a wrong answer.
 */
export class RateLimiter implements RateLimiterPort {
  /** The `tat` last written per key (the guess of which update to try first). */
  private readonly lastTats = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
    private readonly defaults: RateLimit = DEFAULT_RATE_LIMIT,
  ) {}

  async takeToken(keyId: string, limit: RateLimit = this.defaults): Promise<TakeTokenResult> {
    return this.take(keyId, 1, limit);
  }

  /**
   * Takes `count` tokens in one conditional write, all or none: allowed iff `count` takes at this
   * instant would each be allowed (`max(tat, now) + (count - 1) * interval <= now + burst`).
   * Refused, it writes nothing and says no more (`retryAfterSeconds` 1): the caller takes one at
   * a time then, as it would have.
   */
  async takeTokens(keyId: string, count: number, limit: RateLimit = this.defaults): Promise<TakeTokenResult> {
    if (count > Math.max(1, limit.capacity)) return { allowed: false, retryAfterSeconds: 1 };
    return this.take(keyId, count, limit);
  }

  private async take(keyId: string, count: number, limit: RateLimit): Promise<TakeTokenResult> {
    const interval = 1000 / limit.refillPerSecond;
    const burst = (Math.max(1, limit.capacity) - 1) * interval;
    const key = { pk: keys.rateLimit(keyId), sk: 'RL' };
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock().getTime();
      const expiresAt = Math.ceil((now + burst + interval) / 1000) + 60;
      const idle = () =>
        this.tryUpdate(key, 'SET tat = :next, expiresAt = :exp', 'attribute_not_exists(tat) OR tat < :now', {
          ':next': now + count * interval,
          ':now': now,
          ':exp': expiresAt,
        });
      const busy = () =>
        this.tryUpdate(key, 'SET tat = tat + :interval, expiresAt = :exp', 'tat BETWEEN :now AND :limit', {
          ':interval': count * interval,
          ':now': now,
          ':limit': now + burst - (count - 1) * interval,
          ':exp': expiresAt,
        });
      // Try first the side the last written `tat` says: one write in the steady state.
      const known = this.lastTats.get(keyId);
      const busyFirst = known !== undefined && known >= now;
      const first = busyFirst ? busy : idle;
      const second = busyFirst ? idle : busy;
      const written = (await first()) ?? (await second());
      if (written !== undefined) {
        this.remember(keyId, written);
        return { allowed: true };
      }
      if (count > 1) return { allowed: false, retryAfterSeconds: 1 };
      let tat: unknown;
      try {
        const result = await this.client.send(
          new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
        );
        tat = result.Item?.tat;
      } catch (error) {
        throw translateSdkError(error, 'reading a rate limit');
      }
      if (typeof tat === 'number' && tat > now + burst) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((tat - burst - now) / 1000)) };
      }
      // The bucket moved between our writes and the read: try again.
    }
    return { allowed: false, retryAfterSeconds: 1 };
  }

  private remember(keyId: string, tat: number): void {
    if (this.lastTats.size >= 10_000 && !this.lastTats.has(keyId)) this.lastTats.clear();
    this.lastTats.set(keyId, tat);
  }

  /** One conditional update; answers the `tat` it wrote, or `undefined` when its condition failed. */
  private async tryUpdate(
    key: { pk: string; sk: string },
    update: string,
    condition: string,
    values: Record<string, number>,
  ): Promise<number | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const tat = result.Attributes?.tat;
      return typeof tat === 'number' ? tat : Number.NaN;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw translateSdkError(error, 'taking a rate-limit token');
    }
  }
}
