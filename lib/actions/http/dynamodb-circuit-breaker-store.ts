import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { CircuitBreakerStore, CircuitState } from './circuit-breaker.ts';

/** Partition key of a host's circuit item in the FlowForge table. */
export const circuitKey = (host: string): Record<string, AttributeValue> => ({
  pk: { S: `CIRCUIT#${host}` },
  sk: { S: 'CIRCUIT' },
});

const n = (value: number): AttributeValue => ({ N: String(value) });
const num = (value: AttributeValue | undefined): number | undefined =>
  value?.N === undefined ? undefined : Number(value.N);

/**
 * Circuit state in the single FlowForge table: item `pk = CIRCUIT#<host>`, `sk = CIRCUIT` with
 * `failures`, `openedAt`, `trialStartedAt` (epoch ms) and the TTL `expiresAt` (epoch seconds,
 * `ttlSeconds` after the last write, default one day). Each method is one conditional write;
 * expired items are ignored on read (dynalite has no TTL).
 */
export class DynamoDbCircuitBreakerStore implements CircuitBreakerStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #ttlSeconds: number;

  constructor(options: { client: DynamoDBClient; tableName: string; ttlSeconds?: number }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#ttlSeconds = options.ttlSeconds ?? 86_400;
  }

  async read(host: string, now: number): Promise<CircuitState | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tableName, Key: circuitKey(host), ConsistentRead: true }),
    );
    if (!Item || (num(Item.expiresAt) ?? Number.POSITIVE_INFINITY) * 1000 <= now) return undefined;
    return this.#state(Item);
  }

  async recordFailure(host: string, threshold: number, now: number): Promise<CircuitState> {
    const expiresAt = n(Math.ceil(now / 1000) + this.#ttlSeconds);
    let state: CircuitState;
    try {
      const { Attributes } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: circuitKey(host),
          UpdateExpression: 'SET failures = if_not_exists(failures, :zero) + :one, expiresAt = :exp',
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt > :nowS',
          ExpressionAttributeValues: {
            ':zero': n(0),
            ':one': n(1),
            ':exp': expiresAt,
            ':nowS': n(now / 1000),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      state = this.#state(Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // An expired item (no TTL locally): start counting afresh.
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: { ...circuitKey(host), failures: n(1), expiresAt },
        }),
      );
      state = { failures: 1 };
    }
    if (state.failures >= threshold && state.openedAt === undefined) {
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#tableName,
            Key: circuitKey(host),
            UpdateExpression: 'SET openedAt = :now REMOVE trialStartedAt',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(openedAt)',
            ExpressionAttributeValues: { ':now': n(now) },
          }),
        );
        state.openedAt = now;
      } catch (error) {
        // Another caller opened it first.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return state;
  }

  async reopen(host: string, now: number): Promise<void> {
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: circuitKey(host),
        UpdateExpression:
          'SET openedAt = :now, expiresAt = :exp, failures = if_not_exists(failures, :one) REMOVE trialStartedAt',
        ExpressionAttributeValues: {
          ':now': n(now),
          ':exp': n(Math.ceil(now / 1000) + this.#ttlSeconds),
          ':one': n(1),
        },
      }),
    );
  }

  async claimTrial(host: string, openedAt: number, now: number, leaseMs: number): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: circuitKey(host),
          UpdateExpression: 'SET trialStartedAt = :now',
          ConditionExpression:
            'openedAt = :openedAt AND (attribute_not_exists(trialStartedAt) OR trialStartedAt < :cutoff)',
          ExpressionAttributeValues: {
            ':now': n(now),
            ':openedAt': n(openedAt),
            ':cutoff': n(now - leaseMs),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async reset(host: string): Promise<void> {
    await this.#client.send(new DeleteItemCommand({ TableName: this.#tableName, Key: circuitKey(host) }));
  }

  #state(item: Record<string, AttributeValue>): CircuitState {
    const state: CircuitState = { failures: num(item.failures) ?? 0 };
    const openedAt = num(item.openedAt);
    const trialStartedAt = num(item.trialStartedAt);
    if (openedAt !== undefined) state.openedAt = openedAt;
    if (trialStartedAt !== undefined) state.trialStartedAt = trialStartedAt;
    return state;
  }
}
