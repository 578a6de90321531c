import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './local-api.ts';

/** A flow whose one transform returns `expression`'s value. */
const transformFlow = (name: string, expression: string) => ({
  name,
  nodes: [{ id: 'make', type: 'action', action: 'transform', config: { expression, timeoutMs: 10_000 } }],
});

/**
 * Payload references are tenant-scoped on read: `GET /executions/{id}` resolves only keys of the
 * caller's tenant, so a record that carries another tenant's key (however it learnt it) shows the
 * reference, never the data.
 */
describe('payload references in the API are tenant-scoped', () => {
  let api: TestApi;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    api = await startTestApi();
    for (const tenant of ['acme', 'globex']) {
      const created = await api.request('POST', '/api/v1/keys', {
        body: { name: `${tenant} admin`, scopes: ['admin'], tenant },
      });
      expect(created.status).toBe(201);
      keys[tenant] = created.body.key;
    }
  });
  afterAll(async () => {
    await api?.stop();
  });

  const runToEnd = async (tenant: string, definition: unknown) => {
    const key = keys[tenant] as string;
    const flow = await api.request('POST', '/api/v1/flows', { key, body: definition });
    expect(flow.status).toBe(201);
    const run = await api.request('POST', `/api/v1/flows/${flow.body.flowId}/execute`, {
      key,
      body: { input: {} },
    });
    expect(run.status).toBe(202);
    return {
      flowId: flow.body.flowId as string,
      record: await api.waitForExecution(run.body.executionId, key),
    };
  };

  it('resolves the tenant’s own large output and shows a foreign key as the bare reference', async () => {
    const big = await runToEnd(
      'globex',
      transformFlow('globex-big', "[1..2000].('globex secret row ' & $string($))"),
    );
    expect({ status: big.record.status, error: big.record.error }).toEqual({ status: 'SUCCEEDED' });
    expect(big.record.nodes.make.output).toHaveLength(2000);
    expect(big.record.nodes.make.output[0]).toBe('globex secret row 1');

    // The key as it lies in the payload folder: <tenant>/<flowId>/<executionId>/<nodeId>/<random>.json
    const flowDir = join(api.dataDir, 'payloads', 'globex', big.flowId);
    const [executionDir = ''] = await readdir(flowDir);
    const [file = ''] = await readdir(join(flowDir, executionDir, 'make'));
    const foreignKey = `globex/${big.flowId}/${executionDir}/make/${file}`;

    const leak = await runToEnd(
      'acme',
      transformFlow('acme-leak', `{ '$ffref': '${foreignKey}', 'bytes': 10 }`),
    );
    expect(leak.record.status).toBe('SUCCEEDED');
    expect(leak.record.nodes.make.output).toEqual({ $ffref: foreignKey, bytes: 10 });
    expect(JSON.stringify(leak.record)).not.toContain('globex secret row');
  });
});
