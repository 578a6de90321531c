import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLocalDocumentClient } from '../../lib/store/client.ts';
import { startLocalDynalite } from '../../lib/store/local-dynalite.ts';
import { createTable } from '../../lib/store/table.ts';

/** A dynalite server in memory with the FlowForge table created. */
export interface TestDynalite {
  endpoint: string;
  client: DynamoDBDocumentClient;
  tableName: string;
  stop(): Promise<void>;
}

/** Starts dynalite in memory on a free 127.0.0.1 port and creates the table (`flowforge-test` by default). */
export async function startDynalite(options: { tableName?: string } = {}): Promise<TestDynalite> {
  const server = await startLocalDynalite();
  const client = createLocalDocumentClient(server.endpoint);
  const tableName = options.tableName ?? 'flowforge-test';
  await createTable(client, tableName);
  return {
    endpoint: server.endpoint,
    client,
    tableName,
    stop: async () => {
      client.destroy();
      await server.close();
    },
  };
}
