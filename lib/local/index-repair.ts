import { isDeepStrictEqual } from 'node:util';
import { DescribeTableCommand, type GlobalSecondaryIndexDescription } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { scanItems } from './scan-items.ts';

/** What {@link repairIndexes} found and put right. */
export interface IndexRepair {
  /** Index entries whose item does not exist (the item's write was lost): removed. */
  orphans: number;
  /** Index entries that differ from their item (the item's update was lost): written again from the item. */
  stale: number;
  /** Items with index keys but no entry in that index: written again. */
  missing: number;
}

type Item = Record<string, unknown>;

/**
 * Makes every global secondary index of a dynalite table agree with the table again after an
 * unclean stop.
 *
 * DynamoDB writes an item and its index entries atomically. dynalite does not: a put or update
 * writes the index entries first and the item after, as two LevelDB writes. A kill -9 between them
 * leaves an index entry of a write that never happened — a listing then shows an execution that
 * does not exist, RUNNING forever, and no start-up scan of the table can see it. This puts the
 * indexes back to what the table says, which is what DynamoDB would hold: an orphan entry is
 * removed (put, then deleted, through the API, so dynalite drops the entry), an entry that differs
 * from its item and an item without its entry are fixed by writing the item again.
 *
 * Local mode only, before anything else writes to the table (it reads the whole table and every
 * index). Compares the projected attributes, so it holds for every projection type.
 */
export async function repairIndexes(client: DynamoDBDocumentClient, tableName: string): Promise<IndexRepair> {
  const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const keyNames = (table?.KeySchema ?? []).map((key) => key.AttributeName as string);
  const keyOf = (item: Item) => JSON.stringify(keyNames.map((name) => item[name]));
  const items = new Map<string, Item>();
  for await (const item of scanItems(client, { TableName: tableName })) items.set(keyOf(item), item);

  const repair: IndexRepair = { orphans: 0, stale: 0, missing: 0 };
  for (const index of table?.GlobalSecondaryIndexes ?? []) {
    const indexKeys = (index.KeySchema ?? []).map((key) => key.AttributeName as string);
    const project = projector(index, keyNames, indexKeys);
    // Read the whole index first, then write: the writes change the index being read.
    const entries: Item[] = [];
    for await (const entry of scanItems(client, { TableName: tableName, IndexName: index.IndexName }))
      entries.push(entry);
    const indexed = new Set<string>();
    for (const entry of entries) {
      const key = keyOf(entry);
      const item = items.get(key);
      if (item === undefined) {
        // Putting the entry gives dynalite an item to delete, and deleting it removes the entry.
        await client.send(new PutCommand({ TableName: tableName, Item: entry }));
        await client.send(new DeleteCommand({ TableName: tableName, Key: keyAttributes(entry, keyNames) }));
        repair.orphans++;
        continue;
      }
      if (isDeepStrictEqual(entry, project(item))) {
        indexed.add(key);
        continue;
      }
      if (indexKeys.some((name) => !isDeepStrictEqual(entry[name], item[name]))) {
        // The entry sits under other index keys than the item's: writing the item with the entry's
        // index keys moves the item's entry there (replacing the stale one), writing it again moves it back.
        const moved = { ...item };
        for (const name of indexKeys) moved[name] = entry[name];
        await client.send(new PutCommand({ TableName: tableName, Item: moved }));
      }
      await client.send(new PutCommand({ TableName: tableName, Item: item }));
      indexed.add(key);
      repair.stale++;
    }
    for (const [key, item] of items) {
      if (indexed.has(key) || indexKeys.some((name) => item[name] === undefined)) continue;
      await client.send(new PutCommand({ TableName: tableName, Item: item }));
      repair.missing++;
    }
  }
  return repair;
}

const keyAttributes = (item: Item, keyNames: string[]) =>
  Object.fromEntries(keyNames.map((name) => [name, item[name]]));

/** The attributes of an item that the index holds. */
function projector(
  index: GlobalSecondaryIndexDescription,
  tableKeys: string[],
  indexKeys: string[],
): (item: Item) => Item {
  const projection = index.Projection;
  if (projection?.ProjectionType === 'ALL' || projection?.ProjectionType === undefined) return (item) => item;
  const names = [...tableKeys, ...indexKeys, ...(projection.NonKeyAttributes ?? [])];
  return (item) => Object.fromEntries(names.filter((name) => name in item).map((name) => [name, item[name]]));
}
