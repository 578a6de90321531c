import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.ts';
import { ApiKeyStore } from '../../../lib/store/api-key-store.ts';
import { captureIo } from '../../support/capture-io.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';

describe('flowforge keys create', () => {
  let db: TestDynalite;
  const saved = { ...process.env };

  beforeAll(async () => {
    db = await startDynalite();
    process.env.FLOWFORGE_TABLE_NAME = db.tableName;
    process.env.FLOWFORGE_DYNAMODB_ENDPOINT = db.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    process.env.AWS_REGION = 'us-east-1';
  });
  afterAll(async () => {
    process.env = saved;
    await db.stop();
  });

  it('writes a key the store then finds by its plaintext, printed once', async () => {
    const { out, io } = captureIo();
    const code = await main(
      ['keys', 'create', '--name', 'admin', '--scopes', 'admin', '--tenant', 'acme', '--json'],
      io,
    );
    expect(code).toBe(0);
    const created = JSON.parse(out.stdout) as {
      keyId: string;
      key: string;
      tenant: string;
      scopes: string[];
    };
    expect(created).toMatchObject({ tenant: 'acme', scopes: ['admin'] });
    const found = await new ApiKeyStore(db.client, db.tableName).findByKey(created.key);
    expect(found?.keyId).toBe(created.keyId);
    expect(found?.tenant).toBe('acme');
  });

  it('refuses an unknown scope and a missing name with exit 2', async () => {
    const bad = captureIo();
    expect(await main(['keys', 'create', '--name', 'x', '--scopes', 'root'], bad.io)).toBe(2);
    expect(bad.out.stderr).toContain('unknown scope "root"');
    const missing = captureIo();
    expect(await main(['keys', 'create', '--scopes', 'admin'], missing.io)).toBe(2);
    expect(missing.out.stderr).toContain('--name and --scopes are required');
  });
});
