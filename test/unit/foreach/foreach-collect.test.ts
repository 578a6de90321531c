import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../lib/actions/action.ts';
import { forEachAction } from '../../../lib/actions/foreach/index.ts';
import { createLocalPayloadStore } from '../../../lib/payloads/local-payload-store.ts';
import {
  checkPayloadKey,
  InvalidPayloadKeyError,
  newResultsPrefix,
  type PayloadStore,
} from '../../../lib/payloads/payload-store.ts';

const execution = {
  id: 'exec-1',
  startedAt: '2026-01-01T00:00:00.000Z',
  flowId: 'flow-1',
  version: 1,
  tenant: 'acme',
};
const scope = { tenant: 'acme', flowId: 'flow-1', executionId: 'exec-1', nodeId: 'each' };

/**
 * The collect step of a Distributed Map over ResultWriter files as Step Functions writes them to S3
 * (docs: ResultWriter, "manifest.json" and "SUCCEEDED_0.json"), kept here in a payload folder.
 */
describe('forEach collect over a Distributed Map run', () => {
  let dir: string;
  let payloads: PayloadStore;
  const context = (): ActionContext => ({ nodeId: 'each', attempt: 1, execution, payloads });
  const put = async (key: string, value: unknown) => {
    await mkdir(dirname(join(dir, key)), { recursive: true });
    await writeFile(join(dir, key), JSON.stringify(value));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ff-foreach-collect-'));
    payloads = createLocalPayloadStore(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the items step keeps the list in the payload store and names a results folder of this execution', async () => {
    const list = Array.from({ length: 5000 }, (_, id) => ({ id }));
    const output = (await forEachAction.run({ op: 'items', items: list, store: true }, context())) as {
      itemsKey: string;
      resultsPrefix: string;
      count: number;
    };
    expect(output.count).toBe(5000);
    expect(await payloads.getJson(output.itemsKey)).toEqual(list);
    expect(output.resultsPrefix).toMatch(/^acme\/flow-1\/exec-1\/each\/[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(output).length).toBeLessThan(300);
  });

  it('orders results by index, keeps a failed child execution as that item error, applies the tolerance', async () => {
    const prefix = newResultsPrefix(scope);
    const run = 'ad9b5f27-090b-3ac6-9beb-243cd77144a7';
    const child = (index: number, output: unknown) => ({
      ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:m/Map:${index}`,
      Input: JSON.stringify({ index, item: index }),
      InputDetails: { Included: true },
      Output: JSON.stringify(output),
      OutputDetails: { Included: true },
      Status: 'SUCCEEDED',
    });
    await put(`${prefix}/${run}/SUCCEEDED_0.json`, [
      child(2, { record: { status: 'succeeded', output: 'c' }, index: 2 }),
      child(0, { record: { status: 'succeeded', output: 'a' }, index: 0 }),
    ]);
    await put(`${prefix}/${run}/SUCCEEDED_1.json`, [
      child(3, { error: { error: 'Http5xx', cause: 'down' }, index: 3 }),
    ]);
    await put(`${prefix}/${run}/FAILED_0.json`, [
      {
        ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:m/Map:1',
        Input: JSON.stringify({ index: 1, item: 1 }),
        Status: 'FAILED',
        Error: 'States.DataLimitExceeded',
        Cause: 'too big',
      },
    ]);
    const manifestKey = `${prefix}/${run}/manifest.json`;
    await put(manifestKey, {
      DestinationBucket: 'b',
      MapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:m/Map:run',
      ResultFiles: {
        FAILED: [{ Key: `${prefix}/${run}/FAILED_0.json`, Size: 1 }],
        PENDING: [],
        SUCCEEDED: [
          { Key: `${prefix}/${run}/SUCCEEDED_0.json`, Size: 1 },
          { Key: `${prefix}/${run}/SUCCEEDED_1.json`, Size: 1 },
        ],
      },
    });
    const within = await forEachAction.run(
      { op: 'collect', manifest: { Bucket: 'b', Key: manifestKey }, toleratedFailures: 2 },
      context(),
    );
    expect(within).toEqual({
      status: 'succeeded',
      output: [
        'a',
        { error: { error: 'States.DataLimitExceeded', cause: 'too big' } },
        'c',
        { error: { error: 'Http5xx', cause: 'down' } },
      ],
      error: null,
      items: { total: 4, succeeded: 2, failed: 2 },
    });
    const past = await forEachAction.run(
      { op: 'collect', manifest: { Key: manifestKey }, toleratedFailures: 1 },
      context(),
    );
    expect(past).toMatchObject({
      status: 'failed',
      error: {
        error: 'ForEachFailed',
        cause:
          '2 of 4 items failed (1 tolerated); the first failed item is index 1: States.DataLimitExceeded: too big',
      },
    });
  });

  it('reads results only under its own execution', async () => {
    const other = newResultsPrefix({ ...scope, executionId: 'exec-2' });
    const key = `${other}/run/manifest.json`;
    await put(key, { ResultFiles: {} });
    await expect(
      forEachAction.run({ op: 'collect', manifest: { Key: key } }, context()),
    ).rejects.toMatchObject({
      name: 'InvalidPayloadKey',
    });
  });

  it('payload keys accept ResultWriter files under a results folder, nothing looser', () => {
    const folder = 'acme/flow-1/exec-1/each/AAAAAAAAAAAAAAAAAAAAAA';
    for (const leaf of ['manifest.json', 'SUCCEEDED_0.json', 'FAILED_12.json', 'PENDING_3.json'])
      expect(checkPayloadKey(`${folder}/run-1/${leaf}`)).toBe(`${folder}/run-1/${leaf}`);
    for (const key of [
      `${folder}/run-1/other.json`,
      `${folder}/../manifest.json`,
      `${folder}/run-1/x/manifest.json`,
      'acme/flow-1/exec-1/each/short/run-1/manifest.json',
    ])
      expect(() => checkPayloadKey(key)).toThrow(InvalidPayloadKeyError);
  });
});
