import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynaliteThread, startDynaliteThread } from '../../../lib/local/dynalite-thread.ts';
import { CachedHandlerDocumentClient, createLocalDocumentClient } from '../../../lib/store/client.ts';
import { createTable, GSI1_NAME } from '../../../lib/store/table.ts';

let dir: string;
let thread: DynaliteThread;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowforge-cached-client-'));
  thread = await startDynaliteThread(join(dir, 'dynamodb'));
});
afterAll(async () => {
  await thread.close();
  await rm(dir, { recursive: true, force: true });
});

const TABLE = 'flowforge';

/** The same calls, one after another, each answer (or error) recorded without its request id. */
const script = async (client: ReturnType<typeof createLocalDocumentClient>, pk: string) => {
  const answers: unknown[] = [];
  const record = async (call: () => Promise<Record<string, unknown>>) => {
    try {
      const { $metadata: _ignored, ...rest } = await call();
      answers.push(rest);
    } catch (error) {
      answers.push({
        error: (error as Error).name,
        modelled: error instanceof ConditionalCheckFailedException,
      });
    }
  };
  const item = {
    pk,
    sk: 'EXEC',
    gsi1pk: `${pk}#IDX`,
    gsi1sk: '1',
    n: 1.5,
    big: 2 ** 53 - 1,
    s: 'é ✓',
    list: [1, 'a', { deep: [true, null] }],
    map: { a: { b: 'c' } },
    set: new Set(['x', 'y']),
    bin: new Uint8Array([0, 1, 255]),
    none: undefined,
  };
  await record(() => client.send(new PutCommand({ TableName: TABLE, Item: item })));
  await record(() =>
    client.send(
      new PutCommand({ TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    ),
  );
  await record(() =>
    client.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { pk, sk: 'EXEC' },
        UpdateExpression: 'SET n = n + :one, #m.#a = :v',
        ExpressionAttributeNames: { '#m': 'map', '#a': 'a' },
        ExpressionAttributeValues: { ':one': 1, ':v': { z: [1, 2] } },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  await record(() =>
    client.send(new GetCommand({ TableName: TABLE, Key: { pk, sk: 'EXEC' }, ConsistentRead: true })),
  );
  await record(() =>
    client.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: GSI1_NAME,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': `${pk}#IDX` },
      }),
    ),
  );
  await record(() =>
    client.send(
      new BatchGetCommand({
        RequestItems: {
          [TABLE]: {
            Keys: [
              { pk, sk: 'EXEC' },
              { pk, sk: 'NONE' },
            ],
          },
        },
      }),
    ),
  );
  await record(() =>
    client.send(new DeleteCommand({ TableName: TABLE, Key: { pk, sk: 'EXEC' }, ReturnValues: 'ALL_OLD' })),
  );
  await record(() => client.send(new GetCommand({ TableName: TABLE, Key: { pk, sk: 'EXEC' } })));
  return answers;
};

describe('CachedHandlerDocumentClient', () => {
  it('answers every call as the stock Document client does, errors included', async () => {
    const stock = createLocalDocumentClient(thread.endpoint);
    const cached = createLocalDocumentClient(thread.endpoint, thread.requestHandler);
    expect(cached).toBeInstanceOf(CachedHandlerDocumentClient);
    await createTable(cached, TABLE);
    // Twice each: the second run of the cached client goes through its cached handlers.
    const expected = await script(stock, 'T#a#EXEC#stock');
    expect(await script(cached, 'T#a#EXEC#stock')).toEqual(expected);
    expect(await script(cached, 'T#a#EXEC#stock')).toEqual(expected);
    expect(expected[1]).toEqual({ error: 'ConditionalCheckFailedException', modelled: true });
    expect(expected[3]).toMatchObject({
      Item: { n: 2.5, map: { a: { z: [1, 2] } }, set: new Set(['x', 'y']) },
    });
    expect(expected[7]).toEqual({});
    stock.destroy();
  });

  it('sends unsigned requests of a signed shape on the in-process transport, which dynalite takes', async () => {
    const authorizations: string[] = [];
    type Handle = (request: { headers: Record<string, string> }, options?: unknown) => unknown;
    const inner = thread.requestHandler as unknown as { handle: Handle };
    const watched = {
      ...inner,
      handle: (request, options) => {
        authorizations.push(request.headers.authorization ?? '');
        return inner.handle(request, options);
      },
    } as { handle: Handle } as unknown as typeof thread.requestHandler;
    const client = createLocalDocumentClient(thread.endpoint, watched);
    await client.send(new PutCommand({ TableName: TABLE, Item: { pk: 'T#a#unsigned', sk: 'X', n: 1 } }));
    const read = await client.send(
      new GetCommand({ TableName: TABLE, Key: { pk: 'T#a#unsigned', sk: 'X' } }),
    );
    expect(read.Item).toEqual({ pk: 'T#a#unsigned', sk: 'X', n: 1 });
    expect(authorizations).toHaveLength(2);
    for (const authorization of authorizations)
      expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/.* Signature=unsigned$/);
  });
});
