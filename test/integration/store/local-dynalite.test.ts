import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalDocumentClient } from '../../../lib/store/client.ts';
import { FlowStore } from '../../../lib/store/flow-store.ts';
import { startLocalDynalite } from '../../../lib/store/local-dynalite.ts';
import { createTable } from '../../../lib/store/table.ts';
import { versionInput } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowforge-dynalite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startLocalDynalite on disk', () => {
  it('keeps the data across a restart on the same path', async () => {
    const first = await startLocalDynalite({ path: dir });
    const firstClient = createLocalDocumentClient(first.endpoint);
    await createTable(firstClient, 'flowforge');
    const { flowId } = await new FlowStore(firstClient, 'flowforge').createFlow(
      'acme',
      versionInput('durable'),
    );
    firstClient.destroy();
    await first.close();

    const second = await startLocalDynalite({ path: dir });
    const secondClient = createLocalDocumentClient(second.endpoint);
    try {
      await createTable(secondClient, 'flowforge');
      const flow = await new FlowStore(secondClient, 'flowforge').getVersion('acme', flowId);
      expect(flow.definition.name).toBe('durable');
      expect(second.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      secondClient.destroy();
      await second.close();
    }
  });
});
