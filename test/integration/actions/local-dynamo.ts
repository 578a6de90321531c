import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type LocalDynalite, startLocalDynalite } from '../../../lib/store/local-dynalite.ts';
import { tableDefinition } from '../../../lib/store/table.ts';

/** dynalite in memory on a free port with the FlowForge table created. */
export interface LocalTable {
  dynalite: LocalDynalite;
  client: DynamoDBClient;
  tableName: string;
  close(): Promise<void>;
}

/** Starts dynalite and creates the single FlowForge table (pk/sk, TTL attribute `expiresAt`). */
export async function startLocalTable(tableName = 'flowforge-actions-test'): Promise<LocalTable> {
  const dynalite = await startLocalDynalite();
  const client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  return {
    dynalite,
    client,
    tableName,
    close: async () => {
      client.destroy();
      await dynalite.close();
    },
  };
}
