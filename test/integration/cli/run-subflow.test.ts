import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.ts';
import { captureIo } from '../../support/capture-io.ts';

const ada = JSON.stringify({ customer: { name: 'Ada', orders: 12, spend: 1800 } });

/** `flowforge run FILE --flow <flowId>=<file>` (DESIGN.md §2.1): children run on this machine. */
describe('flowforge run with --flow', () => {
  let dir: string;
  const write = async (name: string, definition: unknown) => {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(definition));
    return file;
  };
  const parent = (child: string, config: Record<string, unknown> = {}) => ({
    name: 'parent',
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual' },
      {
        id: 'call',
        type: 'operation',
        operation: 'subflow',
        dependencies: ['start'],
        config: { flowId: child, input: { n: 1 }, ...config },
      },
    ],
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowforge-subflow-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the example parent with its child and passes the child’s output on', async () => {
    const { out, io } = captureIo();
    const code = await main(
      [
        'run',
        'examples/onboard-customer.json',
        '--flow',
        'customer-score=examples/customer-score.json',
        '--input',
        ada,
        '--json',
      ],
      io,
    );
    expect(code, out.stderr).toBe(0);
    const record = JSON.parse(out.stdout);
    expect(record.nodes.scoreCustomer.output.score).toEqual({ name: 'Ada', score: 78, tier: 'gold' });
    expect(record.nodes.greet.output.message).toBe('welcome Ada: tier gold, score 78');
    expect(record.nodes.fallback.status).toBe('skipped');
    expect(out.stderr).toMatch(/subflow customer-score \(local-[0-9a-f-]+\) SUCCEEDED/);
  });

  it('maps a failed child to SubflowFailed (with its error as cause) and a missing child file to an error', async () => {
    const failing = await write('failing.json', {
      name: 'failing',
      nodes: [
        { id: 'start', type: 'trigger', trigger: 'manual' },
        {
          id: 'no',
          type: 'operation',
          operation: 'fail',
          dependencies: ['start'],
          config: { error: 'Nope' },
        },
      ],
    });
    const parentFile = await write('parent.json', parent('failing'));
    const failed = captureIo();
    expect(await main(['run', parentFile, '--flow', `failing=${failing}`, '--json'], failed.io)).toBe(1);
    const record = JSON.parse(failed.out.stdout);
    expect(record.nodes.call.error.error).toBe('SubflowFailed');
    expect(JSON.parse(record.nodes.call.error.cause)).toMatchObject({ status: 'FAILED', error: 'Nope' });

    const missing = captureIo();
    expect(await main(['run', parentFile, '--json'], missing.io)).toBe(1);
    expect(missing.out.stderr).toContain(
      '/nodes/1/config/flowId: flow failing is not given (add --flow failing=FILE)',
    );
    const bad = captureIo();
    expect(await main(['run', parentFile, '--flow', 'failing'], bad.io)).toBe(1);
    expect(bad.out.stderr).toContain('--flow takes FLOW_ID=FILE');
  });

  it('gives { executionId } with wait: false and still lets the child finish before exiting', async () => {
    const logger = await write('logger.json', {
      name: 'logger',
      nodes: [
        { id: 'start', type: 'trigger', trigger: 'manual' },
        {
          id: 'pause',
          type: 'operation',
          operation: 'delay',
          dependencies: ['start'],
          config: { seconds: 0.2 },
        },
      ],
    });
    const parentFile = await write('fire.json', parent('logger', { wait: false }));
    const { out, io } = captureIo();
    expect(await main(['run', parentFile, '--flow', `logger=${logger}`, '--json'], io)).toBe(0);
    const record = JSON.parse(out.stdout);
    expect(record.nodes.call.output.executionId).toMatch(/^local-/);
    expect(out.stderr).toContain(`subflow logger (${record.nodes.call.output.executionId}) SUCCEEDED`);
  });

  it('refuses flows that reach themselves, and fails a chain deeper than 5 with SubflowDepthExceeded', async () => {
    const a = await write('a.json', parent('b'));
    const b = await write('b.json', parent('a'));
    const cycle = captureIo();
    expect(await main(['run', a, '--flow', `a=${a}`, '--flow', `b=${b}`], cycle.io)).toBe(1);
    expect(cycle.out.stderr).toContain('reaches itself through subflows: a → b → a');

    const flows: string[] = [];
    for (let level = 1; level <= 6; level++) {
      const next = level === 6 ? 'leaf' : `level${level + 1}`;
      flows.push('--flow', `level${level}=${await write(`level${level}.json`, parent(next))}`);
    }
    const leaf = await write('leaf.json', {
      name: 'leaf',
      nodes: [{ id: 'start', type: 'trigger', trigger: 'manual' }],
    });
    const top = await write('top.json', parent('level1'));
    const deep = captureIo();
    expect(await main(['run', top, ...flows, '--flow', `leaf=${leaf}`, '--json'], deep.io)).toBe(1);
    // Each level's cause is its child's error: unwrap SubflowFailed down to the deepest node's own.
    let error = JSON.parse(deep.out.stdout).nodes.call.error as { error: string; cause?: string };
    let levels = 0;
    while (error.error === 'SubflowFailed' && error.cause) {
      levels++;
      error = JSON.parse(error.cause);
    }
    expect(error.error).toBe('SubflowDepthExceeded');
    // top (depth 0) starts level1 (1) … level5 (5); level5's node would start level6 at depth 6.
    expect(levels).toBe(5);
  });
});
