/**
 * Cursor pagination over Query. A cursor is base64url JSON `{ s: scope, k: key }`: `scope` names
 * the listing and its partition (so it binds the tenant), `k` the key of the last item returned.
 * Decoding checks the scope, the exact key attributes and that the key lies in the queried
 * partition; anything else is an `InvalidCursorError` — a cursor can never open another
 * tenant's partition.
 */
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { isExpired } from './codec.ts';
import { InvalidCursorError, translateSdkError } from './errors.ts';
import {
  GSI1_NAME,
  GSI1_PARTITION_KEY,
  GSI1_SORT_KEY,
  GSI2_NAME,
  GSI2_PARTITION_KEY,
  GSI2_SORT_KEY,
  PARTITION_KEY,
  SORT_KEY,
} from './table.ts';
import type { Page, PageRequest } from './types.ts';

/** Default and maximum page sizes. */
export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

type Item = Record<string, unknown>;
type Key = Record<string, string>;

export type IndexName = typeof GSI1_NAME | typeof GSI2_NAME | undefined;

function keyAttributes(index: IndexName): string[] {
  if (index === GSI1_NAME) return [PARTITION_KEY, SORT_KEY, GSI1_PARTITION_KEY, GSI1_SORT_KEY];
  if (index === GSI2_NAME) return [PARTITION_KEY, SORT_KEY, GSI2_PARTITION_KEY, GSI2_SORT_KEY];
  return [PARTITION_KEY, SORT_KEY];
}

function partitionAttribute(index: IndexName): string {
  if (index === GSI1_NAME) return GSI1_PARTITION_KEY;
  if (index === GSI2_NAME) return GSI2_PARTITION_KEY;
  return PARTITION_KEY;
}

/** Encodes a cursor for `scope` pointing after `key`. */
export function encodeCursor(scope: string, key: Key): string {
  return Buffer.from(JSON.stringify({ s: scope, k: key })).toString('base64url');
}

/**
 * Decodes a cursor of `scope`; the key must have exactly `attributes`, all strings, with
 * `partitionAttribute` equal to `partition` and the base `pk` starting with `pkPrefix`.
 */
export function decodeCursor(
  cursor: string,
  expected: { scope: string; index: IndexName; partition: string; pkPrefix: string },
): Key {
  if (
    typeof cursor !== 'string' ||
    cursor.length === 0 ||
    cursor.length > 2048 ||
    !/^[A-Za-z0-9_-]+$/.test(cursor)
  ) {
    throw new InvalidCursorError();
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError('invalid pagination cursor', { cause: error });
  }
  if (typeof decoded !== 'object' || decoded === null) throw new InvalidCursorError();
  const { s, k } = decoded as { s?: unknown; k?: unknown };
  if (s !== expected.scope || typeof k !== 'object' || k === null || Array.isArray(k)) {
    throw new InvalidCursorError();
  }
  const key = k as Record<string, unknown>;
  const attributes = keyAttributes(expected.index);
  const names = Object.keys(key);
  if (names.length !== attributes.length || !attributes.every((name) => typeof key[name] === 'string')) {
    throw new InvalidCursorError();
  }
  if (key[partitionAttribute(expected.index)] !== expected.partition) throw new InvalidCursorError();
  if (!(key[PARTITION_KEY] as string).startsWith(expected.pkPrefix)) throw new InvalidCursorError();
  return key as Key;
}

/** One listing: a partition of the table or an index, an optional sort-key condition, a mapper. */
export interface PageQuery<T> {
  tableName: string;
  index?: IndexName;
  /** Names the listing in cursors, e.g. `flows`. */
  name: string;
  partition: string;
  /** Every base-table `pk` this listing can return starts with it (tenant binding). */
  pkPrefix: string;
  /** e.g. `begins_with(sk, :p)`, with its values; `#k` is the sort key attribute of the index. */
  sortCondition?: { expression: string; values: Record<string, unknown> };
  newestFirst: boolean;
  projection?: string[];
  consistentRead?: boolean;
  /** Dropped from results (expired items are always dropped). */
  exclude?: (item: Item) => boolean;
  map: (item: Item) => T;
  now: Date;
}

/**
 * Runs a paged Query. Filtering happens here (not in a FilterExpression) so the cursor can
 * point at the last item returned: no empty pages, no skipped items.
 */
export async function queryPage<T>(
  client: DynamoDBDocumentClient,
  query: PageQuery<T>,
  page: PageRequest = {},
): Promise<Page<T>> {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(page.limit ?? DEFAULT_PAGE_SIZE)));
  const index = query.index;
  const scope = `${query.name}|${query.partition}`;
  let startKey: Key | undefined =
    page.cursor === undefined
      ? undefined
      : decodeCursor(page.cursor, { scope, index, partition: query.partition, pkPrefix: query.pkPrefix });
  const sortAttribute = index === GSI1_NAME ? GSI1_SORT_KEY : index === GSI2_NAME ? GSI2_SORT_KEY : SORT_KEY;
  const names: Record<string, string> = { '#p': partitionAttribute(index) };
  if (query.sortCondition) names['#k'] = sortAttribute;
  let projection: string | undefined;
  if (query.projection) {
    const attributes = [...new Set([...keyAttributes(index), 'expiresAt', ...query.projection])];
    projection = attributes
      .map((attribute, i) => {
        names[`#a${i}`] = attribute;
        return `#a${i}`;
      })
      .join(', ');
  }
  const collected: Item[] = [];
  for (let round = 0; round < 20; round++) {
    const input: QueryCommandInput = {
      TableName: query.tableName,
      IndexName: index,
      KeyConditionExpression: query.sortCondition
        ? `#p = :partition AND ${query.sortCondition.expression}`
        : '#p = :partition',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':partition': query.partition, ...query.sortCondition?.values },
      ScanIndexForward: !query.newestFirst,
      Limit: limit + 1 - collected.length,
      ExclusiveStartKey: startKey,
      ProjectionExpression: projection,
      ConsistentRead: index === undefined ? query.consistentRead : undefined,
    };
    let result: QueryCommandOutput;
    try {
      result = await client.send(new QueryCommand(input));
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationException' && page.cursor !== undefined) {
        throw new InvalidCursorError('invalid pagination cursor', { cause: error });
      }
      throw translateSdkError(error, `listing ${query.name}`);
    }
    for (const item of result.Items ?? []) {
      if (isExpired(item, query.now) || query.exclude?.(item)) continue;
      collected.push(item);
    }
    startKey = result.LastEvaluatedKey as Key | undefined;
    if (collected.length > limit || startKey === undefined) break;
  }
  const items = collected.slice(0, limit);
  const last = items.at(-1);
  let nextCursor: string | undefined;
  if (collected.length > limit && last) {
    const key: Key = {};
    for (const attribute of keyAttributes(index)) key[attribute] = String(last[attribute]);
    nextCursor = encodeCursor(scope, key);
  } else if (startKey !== undefined) {
    // Only after 20 rounds of filtered-out items: continue from where DynamoDB stopped.
    nextCursor = encodeCursor(scope, startKey);
  }
  return { items: items.map(query.map), nextCursor };
}
