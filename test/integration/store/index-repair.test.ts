import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { repairIndexes } from '../../../lib/local/index-repair.ts';
import { createLocalDocumentClient } from '../../../lib/store/client.ts';
import { startLocalDynalite } from '../../../lib/store/local-dynalite.ts';
import { createTable } from '../../../lib/store/table.ts';

const TABLE = 'flowforge';
// dynalite's own LevelDB package: the test edits the files as a kill -9 between two writes leaves them.
const { Level } = createRequire(createRequire(import.meta.url).resolve('dynalite'))('level') as {
  Level: new (
    path: string,
    options: { valueEncoding: 'json' },
  ) => {
    iterator(): AsyncIterable<[string, Record<string, { S?: string }>]>;
    put(key: string, value: unknown): Promise<void>;
    del(key: string): Promise<void>;
    close(): Promise<void>;
  };
};

const execution = (id: string, status: string, startedAt = '2026-12-02T10:00:00.000Z') => ({
  pk: `T#t1#EXEC#${id}`,
  sk: 'EXEC',
  executionId: id,
  status,
  gsi1pk: 'T#t1#FLOW#f1#EXECS',
  gsi1sk: `${startedAt}#${id}`,
});

/**
 * dynalite writes an item's index entries before the item, as two LevelDB writes; a kill -9 between
 * them leaves the index saying something the table does not (the crash-consistency test found a
 * listing with executions that did not exist, RUNNING forever). The files are edited here into each
 * state such a kill leaves; after the repair every index agrees with the table again.
 */
describe('repairIndexes after a kill between an index write and its item write', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('removes orphan entries, rewrites stale ones and adds missing ones, and leaves the rest alone', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowforge-index-repair-'));
    let server = await startLocalDynalite({ path: dir });
    let client = createLocalDocumentClient(server.endpoint);
    await createTable(client, TABLE);
    const written = [
      execution('never-written', 'RUNNING'),
      execution('update-lost', 'RUNNING'),
      execution('moved', 'RUNNING'),
      execution('entry-lost', 'SUCCEEDED'),
      execution('intact', 'SUCCEEDED'),
    ];
    for (const item of written) await client.send(new PutCommand({ TableName: TABLE, Item: item }));
    client.destroy();
    await server.close();

    // The crash states: the item of a put never written; an update written to the index only (the
    // item says SUCCEEDED, its entry still RUNNING — here the item is changed, as if the index
    // update had been lost, which is the same disagreement); an update that changed the index key
    // written to the item only; an entry lost.
    const db = new Level(dir, { valueEncoding: 'json' });
    for await (const [key, value] of db.iterator()) {
      const pk = value.pk?.S ?? '';
      const isItem = key.startsWith(`item-${TABLE}~`);
      if (isItem && pk.endsWith('#never-written')) await db.del(key);
      if (isItem && pk.endsWith('#update-lost')) await db.put(key, { ...value, status: { S: 'SUCCEEDED' } });
      if (isItem && pk.endsWith('#moved'))
        await db.put(key, { ...value, gsi1sk: { S: '2026-12-02T11:00:00.000Z#moved' } });
      if (!isItem && pk.endsWith('#entry-lost')) await db.del(key);
    }
    await db.close();

    server = await startLocalDynalite({ path: dir });
    client = createLocalDocumentClient(server.endpoint);
    const listed = async () =>
      (
        await client.send(
          new QueryCommand({
            TableName: TABLE,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': 'T#t1#FLOW#f1#EXECS' },
          }),
        )
      ).Items ?? [];
    // The broken state, as a listing sees it: an execution that does not exist, stale statuses.
    const before = await listed();
    expect(before.map((item) => item.executionId).sort()).toEqual([
      'intact',
      'moved',
      'never-written',
      'update-lost',
    ]);

    expect(await repairIndexes(client, TABLE)).toEqual({ orphans: 1, stale: 2, missing: 1 });
    const after = await listed();
    expect(after).toEqual([
      execution('entry-lost', 'SUCCEEDED'),
      execution('intact', 'SUCCEEDED'),
      execution('update-lost', 'SUCCEEDED'),
      { ...execution('moved', 'RUNNING'), gsi1sk: '2026-12-02T11:00:00.000Z#moved' },
    ]);
    // A second repair finds nothing: the indexes agree with the table.
    expect(await repairIndexes(client, TABLE)).toEqual({ orphans: 0, stale: 0, missing: 0 });
    client.destroy();
    await server.close();
  });
});
