import { ApiKeyStore } from '../../store/api-key-store.ts';
import { createDocumentClient } from '../../store/client.ts';
import { API_SCOPES, type ApiScope } from '../../store/types.ts';
import type { CliIo } from '../cli-io.ts';
import { parseVerbArgs } from '../verb-args.ts';

const USAGE =
  'Usage: flowforge keys create --name NAME --scopes SCOPE[,SCOPE…] [--tenant TENANT] [--json]\n' +
  '  Writes an API key straight into the table named by FLOWFORGE_TABLE_NAME (with your AWS\n' +
  '  credentials; FLOWFORGE_DYNAMODB_ENDPOINT for a local table) and prints the key once.\n' +
  `  Scopes: ${API_SCOPES.join(', ')}\n`;

/**
 * `flowforge keys create`: the way to the first admin key of a deployment, before any key exists
 * to call `POST /api/v1/keys` with. Only the key's hash is stored; the key is printed once.
 * Exit 0 on success, 1 when the table cannot be written, 2 for bad usage.
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseVerbArgs(
    'keys',
    args,
    {
      name: { type: 'string' },
      scopes: { type: 'string' },
      tenant: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (!parsed.ok) return parsed.code;
  const { positionals, values } = parsed;
  if (positionals[0] !== 'create' || positionals.length !== 1) {
    io.stderr(USAGE);
    return 2;
  }
  const scopes = (values.scopes ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (!values.name || scopes.length === 0 || unknown.length > 0) {
    const why =
      unknown.length > 0 ? `unknown scope "${unknown.join('", "')}"` : '--name and --scopes are required';
    io.stderr(`flowforge keys create: ${why}\n${USAGE}`);
    return 2;
  }
  const tableName = process.env.FLOWFORGE_TABLE_NAME;
  if (!tableName) {
    io.stderr(
      'flowforge keys create: set FLOWFORGE_TABLE_NAME to the deployment table (e.g. flowforge-dev)\n',
    );
    return 2;
  }
  const endpoint = process.env.FLOWFORGE_DYNAMODB_ENDPOINT;
  const client = createDocumentClient(endpoint ? { endpoint } : {});
  try {
    const store = new ApiKeyStore(client, tableName);
    const { record, key } = await store.create({
      tenant: values.tenant ?? 'default',
      name: values.name,
      scopes: scopes as ApiScope[],
      createdBy: 'cli',
    });
    const created = { keyId: record.keyId, key, tenant: record.tenant, scopes: record.scopes };
    io.stdout(
      values.json
        ? `${JSON.stringify(created)}\n`
        : `key ${created.keyId} (tenant ${created.tenant}, scopes ${created.scopes.join(',')})\n${key}\n` +
            'This is the only time the key is shown.\n',
    );
    return 0;
  } catch (error) {
    io.stderr(`flowforge keys create: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}
