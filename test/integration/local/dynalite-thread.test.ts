import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynaliteThread, startDynaliteThread } from '../../../lib/local/dynalite-thread.ts';
import { createLocalDocumentClient } from '../../../lib/store/client.ts';
import { createTable, GSI1_NAME } from '../../../lib/store/table.ts';

let dir: string;
let thread: DynaliteThread;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowforge-dynalite-thread-'));
  thread = await startDynaliteThread(join(dir, 'dynamodb'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the dynalite thread over its MessagePort', () => {
  it('serves the same table to the port and to HTTP, with DynamoDB errors and indexes', async () => {
    const port = createLocalDocumentClient(thread.endpoint, thread.requestHandler);
    const http = createLocalDocumentClient(thread.endpoint);
    await createTable(port, 'flowforge');
    const item = { pk: 'T#a#EXEC#1', sk: 'EXEC', gsi1pk: 'T#a#EXECS', gsi1sk: '2026#1', n: 1, s: 'é ✓' };
    await port.send(new PutCommand({ TableName: 'flowforge', Item: item }));
    // Written over the port, read over HTTP (and the other way): one dynalite, one table.
    expect(
      (await http.send(new GetCommand({ TableName: 'flowforge', Key: { pk: item.pk, sk: 'EXEC' } }))).Item,
    ).toEqual(item);
    await http.send(
      new PutCommand({ TableName: 'flowforge', Item: { ...item, pk: 'T#a#EXEC#2', gsi1sk: '2026#2' } }),
    );
    const listed = await port.send(
      new QueryCommand({
        TableName: 'flowforge',
        IndexName: GSI1_NAME,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'T#a#EXECS' },
      }),
    );
    expect(listed.Items?.map((one) => one.pk)).toEqual(['T#a#EXEC#1', 'T#a#EXEC#2']);
    // dynalite's own condition check, answered as the SDK's modelled exception.
    await expect(
      port.send(
        new PutCommand({
          TableName: 'flowforge',
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    // Many in flight at once are each answered with their own item.
    const reads = await Promise.all(
      ['T#a#EXEC#1', 'T#a#EXEC#2', 'T#a#EXEC#3'].map((pk) =>
        port.send(new GetCommand({ TableName: 'flowforge', Key: { pk, sk: 'EXEC' } })),
      ),
    );
    expect(reads.map((read) => read.Item?.pk)).toEqual(['T#a#EXEC#1', 'T#a#EXEC#2', undefined]);
    http.destroy();
  });

  it('sees a table deleted and created again at once (the thread keeps table descriptions between writes)', async () => {
    const port = createLocalDocumentClient(thread.endpoint, thread.requestHandler);
    const raw = port as unknown as DynamoDBClient;
    await createTable(port, 'gone-soon');
    await port.send(new PutCommand({ TableName: 'gone-soon', Item: { pk: 'a', sk: 'b' } }));
    await raw.send(new DeleteTableCommand({ TableName: 'gone-soon' }));
    await expect(
      port.send(new GetCommand({ TableName: 'gone-soon', Key: { pk: 'a', sk: 'b' } })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await createTable(port, 'gone-soon');
    expect(
      (await port.send(new GetCommand({ TableName: 'gone-soon', Key: { pk: 'a', sk: 'b' } }))).Item,
    ).toBeUndefined();
    const described = await raw.send(new DescribeTableCommand({ TableName: 'gone-soon' }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');
  });

  it('refuses requests once closed instead of leaving them waiting', async () => {
    const port = createLocalDocumentClient(thread.endpoint, thread.requestHandler);
    expect(await thread.close()).toBe(true);
    await expect(
      port.send(new GetCommand({ TableName: 'flowforge', Key: { pk: 'T#a#EXEC#1', sk: 'EXEC' } })),
    ).rejects.toThrow(/closed/);
  });
});
