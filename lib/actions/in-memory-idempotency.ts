import type { AddressInfo } from 'node:net';
import type { IdempotencyStore } from './idempotency.ts';

const TABLE = 'flowforge-idempotency';

/**
 * Powertools Idempotency (the Lambdas' own store, {@link createDynamoDbIdempotencyStore}) against an
 * in-memory dynalite, started on the first Task that needs it: what `flowforge run` uses, so a
 * one-shot local run dedupes exactly as the deployed Lambdas do. `close()` stops dynalite (if it
 * was started) so the process can exit.
 */
export function createInMemoryIdempotency(): { store: IdempotencyStore; close(): Promise<void> } {
  let started: Promise<{ store: IdempotencyStore; close(): Promise<void> }> | undefined;
  const start = async () => {
    const [{ default: dynalite }, dynamodb, { createDynamoDbIdempotencyStore }] = await Promise.all([
      import('dynalite'),
      import('@aws-sdk/client-dynamodb'),
      import('./idempotency.ts'),
    ]);
    const server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const client = new dynamodb.DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await client.send(
      new dynamodb.CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return {
      store: createDynamoDbIdempotencyStore({ tableName: TABLE, client }),
      close: async () => {
        client.destroy();
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  };
  return {
    store: {
      run: async (payload, fn, options) => {
        started ??= start();
        return (await started).store.run(payload, fn, options);
      },
    },
    close: async () => {
      if (started) await (await started).close();
    },
  };
}
