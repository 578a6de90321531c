import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, sha256Hex } from './codec.ts';
import { isConditionalCheckFailed, StoreError, translateSdkError } from './errors.ts';
import { putIfAbsent } from './put-if-absent.ts';
import { ID_PATTERN } from './table.ts';
import type { Clock } from './types.ts';

/**
 * Waiting nodes, callbacks and events (DESIGN.md §2.1), as single conditional items (no
 * transactions: dynalite has none). Key layout (added to the table of table.ts):
 *
 * | record          | pk                                      | sk                         |
 * |-----------------|-----------------------------------------|----------------------------|
 * | waiting node    | T#<t>#WAIT#<executionId>#<nodeId>       | WAIT                       |
 * | callback        | CB#<sha256(callbackId)>                 | CB                         |
 * | event           | T#<t>#EVT#<sha256(name, key)>           | <receivedAt>#<eventId>     |
 * | event waiter    | T#<t>#EVW#<sha256(name, key)>           | <executionId>#<nodeId>     |
 *
 * A callback is found by the digest of its id (the id itself is never stored: a bearer secret, like
 * an API key) and names the tenant's waiting node; every other item is keyed by tenant. The waiting
 * node is the one item whose `state` decides the outcome: `waiting` → `completed` (with the answer)
 * or `timedOut`, each a conditional update, so one answer wins however many race. Items carry
 * `expiresAt` (TTL in AWS); readers treat expired items as absent.
 */

/** How a wait ended: with an output (success) or an error. */
export type WaitAnswer = { output: unknown } | { error: string; cause?: string };

export interface WaitItem {
  tenant: string;
  executionId: string;
  /** The wait's key within the execution: the node id, or for a node inside a forEach body the node id and a digest of its iteration. */
  nodeId: string;
  /** The node id when `nodeId` is an iteration's key (a wait inside a forEach body). */
  node?: string;
  kind: 'callback' | 'event' | 'subflow';
  /** The task token to answer (Step Functions' `$$.Task.Token`, or the local runner's). */
  token: string;
  state: 'waiting' | 'completed' | 'timedOut';
  /** When the node began waiting (ISO 8601): lookback and the deadline count from here. */
  since: string;
  /** Epoch ms after which the wait is over (timeoutSeconds), or absent for no timeout. */
  deadline?: number;
  /** sha256 of the current callback id (waitForCallback). */
  callbackHash?: string;
  /** `notify` ran for the current callback. */
  notified?: boolean;
  /** waitForEvent: the event name and key waited for. */
  event?: { name: string; key: string };
  /** subflow: the child execution waited for. */
  child?: string;
  answer?: WaitAnswer;
}

export interface StoredEvent {
  eventId: string;
  name: string;
  key: string;
  payload?: unknown;
  receivedAt: string;
}

/** What a callback id opens: one waiting node of one tenant. */
export interface CallbackPointer {
  tenant: string;
  executionId: string;
  /** The wait's key (see {@link WaitItem.nodeId}). */
  nodeId: string;
  callbackHash: string;
  /** The node id when it differs from the key (a wait inside a forEach body). */
  node?: string;
}

/** The wait store's contract (implemented over DynamoDB by {@link WaitStore}). */
export interface WaitStorePort {
  getWait(tenant: string, executionId: string, nodeId: string): Promise<WaitItem | undefined>;
  /** Creates the waiting node's item unless one exists: true when written. */
  createWait(item: WaitItem): Promise<boolean>;
  /** Points the wait at a new callback (before `notify` runs), marks it notified, or moves it to a new token. */
  setCallback(
    tenant: string,
    executionId: string,
    nodeId: string,
    patch: { callbackHash: string; notified: boolean; token: string },
  ): Promise<void>;
  /**
   * `waiting` → `completed` with `answer`, only while waiting and before the deadline: the updated
   * item, or `undefined` when the condition failed.
   */
  completeWait(
    tenant: string,
    executionId: string,
    nodeId: string,
    answer: WaitAnswer,
  ): Promise<WaitItem | undefined>;
  /** `waiting` → `timedOut`: true when this call made it so. */
  timeOutWait(tenant: string, executionId: string, nodeId: string): Promise<boolean>;
  putCallback(pointer: CallbackPointer, expiresAtMs: number): Promise<void>;
  /** The live callback with this digest, if any. */
  getCallback(callbackHash: string): Promise<CallbackPointer | undefined>;
  /** Keeps an event for `retentionSeconds` (at least the longest lookback). */
  putEvent(tenant: string, event: StoredEvent, retentionSeconds: number): Promise<void>;
  /** Events of that name and key received at or after `sinceIso`, oldest first. */
  eventsSince(tenant: string, name: string, key: string, sinceIso: string): Promise<StoredEvent[]>;
  /** Registers a node waiting for (name, key) until `expiresAtMs`. */
  putEventWaiter(
    tenant: string,
    name: string,
    key: string,
    waiter: { executionId: string; nodeId: string },
    expiresAtMs: number,
  ): Promise<void>;
  /** The nodes registered as waiting for (name, key) (some may have completed meanwhile). */
  eventWaiters(
    tenant: string,
    name: string,
    key: string,
  ): Promise<Array<{ executionId: string; nodeId: string }>>;
  /** Points a waiting wait at a new task token (a retried Task waits with a new one); false if it no longer waits. */
  setToken(tenant: string, executionId: string, nodeId: string, token: string): Promise<boolean>;
  /** Notes that execution `parentId` waits for its subflow child `childId` (kept until `expiresAtMs`). */
  putChild(tenant: string, parentId: string, childId: string, expiresAtMs: number): Promise<void>;
  /** The children execution `parentId` started with a waiting subflow (some may have finished). */
  children(tenant: string, parentId: string): Promise<string[]>;
}

const waitKey = (tenant: string, executionId: string, nodeId: string) => ({
  pk: `T#${tenant}#WAIT#${executionId}#${nodeId}`,
  sk: 'WAIT',
});
const eventPartition = (tenant: string, prefix: 'EVT' | 'EVW', name: string, key: string) =>
  `T#${tenant}#${prefix}#${sha256Hex(`${name}\u0000${key}`)}`;
/** Far enough for a wait without a timeout (Standard executions last at most a year). */
const YEAR_MS = 366 * 86_400_000;

function toWait(item: Record<string, unknown> | undefined): WaitItem | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, type: _type, expiresAt: _expires, answer, ...rest } = item;
  const wait = rest as unknown as WaitItem;
  if (typeof answer === 'string') wait.answer = JSON.parse(answer) as WaitAnswer;
  return wait;
}

/** The DynamoDB adapter of {@link WaitStorePort}. */
export class WaitStore implements WaitStorePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async getWait(tenant: string, executionId: string, nodeId: string): Promise<WaitItem | undefined> {
    checkIds(tenant, executionId, nodeId);
    try {
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: waitKey(tenant, executionId, nodeId),
          ConsistentRead: true,
        }),
      );
      return toWait(Item);
    } catch (error) {
      throw translateSdkError(error, 'reading a waiting node');
    }
  }

  createWait(item: WaitItem): Promise<boolean> {
    checkIds(item.tenant, item.executionId, item.nodeId);
    const { answer: _answer, ...rest } = item;
    const expires = item.deadline ?? Date.parse(item.since) + YEAR_MS;
    return putIfAbsent(
      this.client,
      this.tableName,
      {
        ...waitKey(item.tenant, item.executionId, item.nodeId),
        type: 'wait',
        ...rest,
        expiresAt: Math.ceil(expires / 1000) + 86_400,
      },
      'registering a waiting node',
    );
  }

  async setCallback(
    tenant: string,
    executionId: string,
    nodeId: string,
    patch: { callbackHash: string; notified: boolean; token: string },
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: waitKey(tenant, executionId, nodeId),
          UpdateExpression: 'SET callbackHash = :hash, notified = :notified, #token = :token',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: {
            ':hash': patch.callbackHash,
            ':notified': patch.notified,
            ':token': patch.token,
          },
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'updating a waiting node');
    }
  }

  async completeWait(
    tenant: string,
    executionId: string,
    nodeId: string,
    answer: WaitAnswer,
  ): Promise<WaitItem | undefined> {
    const values: Record<string, unknown> = {
      ':waiting': 'waiting',
      ':completed': 'completed',
      ':answer': JSON.stringify(answer),
      ':now': this.clock().getTime(),
    };
    const condition = '#state = :waiting AND (attribute_not_exists(deadline) OR deadline > :now)';
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: waitKey(tenant, executionId, nodeId),
          UpdateExpression: 'SET #state = :completed, answer = :answer',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toWait(Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw translateSdkError(error, 'completing a waiting node');
    }
  }

  async timeOutWait(tenant: string, executionId: string, nodeId: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: waitKey(tenant, executionId, nodeId),
          UpdateExpression: 'SET #state = :timedOut',
          ConditionExpression: '#state = :waiting',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':waiting': 'waiting', ':timedOut': 'timedOut' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw translateSdkError(error, 'timing out a waiting node');
    }
  }

  async putCallback(pointer: CallbackPointer, expiresAtMs: number): Promise<void> {
    checkIds(pointer.tenant, pointer.executionId, pointer.nodeId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `CB#${pointer.callbackHash}`,
            sk: 'CB',
            type: 'callback',
            ...pointer,
            expiresAt: Math.ceil(expiresAtMs / 1000),
          },
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'storing a callback');
    }
  }

  async getCallback(callbackHash: string): Promise<CallbackPointer | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: `CB#${callbackHash}`, sk: 'CB' },
          ConsistentRead: true,
        }),
      );
      if (!Item || (typeof Item.expiresAt === 'number' && Item.expiresAt <= epochSeconds(this.clock()))) {
        return undefined;
      }
      return {
        tenant: Item.tenant as string,
        executionId: Item.executionId as string,
        nodeId: Item.nodeId as string,
        callbackHash: Item.callbackHash as string,
        ...(typeof Item.node === 'string' ? { node: Item.node } : {}),
      };
    } catch (error) {
      throw translateSdkError(error, 'reading a callback');
    }
  }

  async putEvent(tenant: string, event: StoredEvent, retentionSeconds: number): Promise<void> {
    checkIds(tenant);
    const { payload, ...rest } = event;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: eventPartition(tenant, 'EVT', event.name, event.key),
            sk: `${event.receivedAt}#${event.eventId}`,
            type: 'event',
            ...rest,
            ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
            expiresAt: Math.ceil(Date.parse(event.receivedAt) / 1000) + retentionSeconds,
          },
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'storing an event');
    }
  }

  async eventsSince(tenant: string, name: string, key: string, sinceIso: string): Promise<StoredEvent[]> {
    checkIds(tenant);
    const items = await this.query(eventPartition(tenant, 'EVT', name, key), sinceIso, 'reading events');
    const now = epochSeconds(this.clock());
    return items
      .filter((item) => !(typeof item.expiresAt === 'number' && item.expiresAt <= now))
      .map((item) => ({
        eventId: item.eventId as string,
        name: item.name as string,
        key: item.key as string,
        receivedAt: item.receivedAt as string,
        ...(typeof item.payload === 'string' ? { payload: JSON.parse(item.payload) } : {}),
      }));
  }

  async putEventWaiter(
    tenant: string,
    name: string,
    key: string,
    waiter: { executionId: string; nodeId: string },
    expiresAtMs: number,
  ): Promise<void> {
    checkIds(tenant, waiter.executionId, waiter.nodeId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: eventPartition(tenant, 'EVW', name, key),
            sk: `${waiter.executionId}#${waiter.nodeId}`,
            type: 'eventWaiter',
            ...waiter,
            expiresAt: Math.ceil(expiresAtMs / 1000),
          },
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'registering an event waiter');
    }
  }

  async eventWaiters(
    tenant: string,
    name: string,
    key: string,
  ): Promise<Array<{ executionId: string; nodeId: string }>> {
    checkIds(tenant);
    const items = await this.query(
      eventPartition(tenant, 'EVW', name, key),
      undefined,
      'reading event waiters',
    );
    const now = epochSeconds(this.clock());
    return items
      .filter((item) => !(typeof item.expiresAt === 'number' && item.expiresAt <= now))
      .map((item) => ({ executionId: item.executionId as string, nodeId: item.nodeId as string }));
  }

  async setToken(tenant: string, executionId: string, nodeId: string, token: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: waitKey(tenant, executionId, nodeId),
          UpdateExpression: 'SET #token = :token',
          ConditionExpression: '#state = :waiting',
          ExpressionAttributeNames: { '#token': 'token', '#state': 'state' },
          ExpressionAttributeValues: { ':token': token, ':waiting': 'waiting' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw translateSdkError(error, 'updating a waiting node');
    }
  }

  async putChild(tenant: string, parentId: string, childId: string, expiresAtMs: number): Promise<void> {
    checkIds(tenant, parentId, childId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `T#${tenant}#CHILDREN#${parentId}`,
            sk: childId,
            type: 'subflowChild',
            expiresAt: Math.ceil(expiresAtMs / 1000),
          },
        }),
      );
    } catch (error) {
      throw translateSdkError(error, 'recording a subflow child');
    }
  }

  async children(tenant: string, parentId: string): Promise<string[]> {
    checkIds(tenant, parentId);
    const items = await this.query(`T#${tenant}#CHILDREN#${parentId}`, undefined, 'reading subflow children');
    return items.map((item) => item.sk as string);
  }

  private async query(
    pk: string,
    skFrom: string | undefined,
    what: string,
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: skFrom === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :from',
            ExpressionAttributeValues: { ':pk': pk, ...(skFrom === undefined ? {} : { ':from': skFrom }) },
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        out.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw translateSdkError(error, what);
    }
    return out;
  }
}

function checkIds(...ids: string[]): void {
  for (const id of ids) {
    if (!ID_PATTERN.test(id)) throw new StoreError(`"${id}" is not an id ([a-zA-Z0-9_-]{1,128})`);
  }
}
