import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../lib/cli/cli-io.ts';
import { main } from '../../../lib/cli/main.ts';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

let dir: string;
const file = (name: string): string => join(dir, name);

const greeting = {
  name: 'greeting',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'greet',
      type: 'action',
      action: 'log',
      config: { message: 'hello {{ input.name }}' },
      dependencies: ['start'],
    },
    {
      id: 'vip',
      type: 'action',
      action: 'log',
      config: { message: 'welcome back' },
      dependencies: ['greet'],
    },
  ],
  connections: [{ from: 'greet', to: 'vip', condition: 'input.vip == true' }],
};

const failing = {
  name: 'failing',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    { id: 'first', type: 'action', action: 'log', config: { message: 'one' }, dependencies: ['start'] },
    {
      id: 'stop',
      type: 'operation',
      operation: 'fail',
      config: { error: 'Refused', cause: 'no way' },
      dependencies: ['first'],
    },
  ],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowforge-cli-'));
  await writeFile(file('greeting.json'), JSON.stringify(greeting));
  await writeFile(file('failing.json'), JSON.stringify(failing));
  await writeFile(
    file('invalid.json'),
    JSON.stringify({ name: 'x', nodes: [{ id: 'a', type: 'action', action: 'nope' }] }),
  );
  await writeFile(file('input.json'), JSON.stringify({ name: 'File', vip: true }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flowforge compile', () => {
  it('prints the ASL of the definition, one state per node named by its id', async () => {
    const { code, stdout, stderr } = await cli('compile', file('greeting.json'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const asl = JSON.parse(stdout);
    expect(typeof asl.StartAt).toBe('string');
    expect(stdout).toBe(`${JSON.stringify(asl, null, 2)}\n`);
    const names = JSON.stringify(asl);
    expect(names).toContain('"greet"');
    // The function name of the ARN the compile context gives (Step Functions resolves it in its region).
    expect(names).toContain('"FunctionName":"flowforge-local-log"');
  });

  it('prints { asl, report } with the report keys of DESIGN.md §3 with --report', async () => {
    const { code, stdout } = await cli('compile', file('greeting.json'), '--report');
    expect(code).toBe(0);
    const { asl, report } = JSON.parse(stdout);
    expect(asl.States).toBeDefined();
    expect(Object.keys(report)).toEqual([
      'stateMachineType',
      'definitionBytes',
      'states',
      'estimatedTransitions',
      'addedEdges',
      'warnings',
    ]);
    expect(['STANDARD', 'EXPRESS']).toContain(report.stateMachineType);
    expect(report.states).toBeGreaterThanOrEqual(Object.keys(asl.States).length);
    expect(report.definitionBytes).toBeGreaterThan(100);
  });

  it('reports an invalid definition as validate does: exit 1, errors with JSON paths on stderr', async () => {
    const { code, stdout, stderr } = await cli('compile', file('invalid.json'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^ERROR \/nodes\/0\//m);
  });

  it('exits 1 for a missing file and 2 for bad usage', async () => {
    expect((await cli('compile', file('missing.json'))).code).toBe(1);
    expect((await cli('compile')).code).toBe(2);
    expect((await cli('compile', file('greeting.json'), '--nope')).code).toBe(2);
  });
});

describe('flowforge run', () => {
  it('runs the workflow and prints the execution record with --json', async () => {
    const { code, stdout } = await cli('run', file('greeting.json'), '--input', '{"name":"Ada"}', '--json');
    expect(code).toBe(0);
    const record = JSON.parse(stdout);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.nodes.greet).toMatchObject({ status: 'succeeded', output: { message: 'hello Ada' } });
    expect(record.nodes.vip.status).toBe('skipped');
    for (const node of Object.values(record.nodes) as Array<Record<string, unknown>>) {
      expect(typeof node.startedAt).toBe('string');
      expect(typeof node.finishedAt).toBe('string');
    }
    expect(record.output.greet).toEqual({ message: 'hello Ada' });
    expect(record.output).not.toHaveProperty('vip');
  });

  it('reads --input @file.json', async () => {
    const { code, stdout } = await cli(
      'run',
      file('greeting.json'),
      `--input=@${file('input.json')}`,
      '--json',
    );
    expect(code).toBe(0);
    const record = JSON.parse(stdout);
    expect(record.nodes.greet.output).toEqual({ message: 'hello File' });
    expect(record.nodes.vip.status).toBe('succeeded');
  });

  it('refuses input that is not JSON with exit 1, and a missing --input value with exit 2', async () => {
    const bad = await cli('run', file('greeting.json'), '--input', '{name:', '--json');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--input is not valid JSON/);
    expect((await cli('run', file('greeting.json'), '--input')).code).toBe(2);
  });

  it('issue 11: refuses hostile JSON in definition files and --input (depth, 1e309, __proto__) with exit 1, never a crash', async () => {
    const deep = `{"name":"deep","nodes":[{"id":"a","type":"action","action":"log","config":{"message":${'['.repeat(5000)}${']'.repeat(5000)}}}]}`;
    await writeFile(file('deep.json'), deep);
    await writeFile(file('huge-number.json'), '{"name":"n","nodes":[],"x":1e309}');
    await writeFile(file('proto.json'), '{"name":"p","__proto__":{"nodes":[]},"nodes":[]}');
    for (const [name, reason] of [
      ['deep.json', /nested deeper than 128/],
      ['huge-number.json', /outside the range/],
      ['proto.json', /"__proto__" is not allowed/],
    ] as const) {
      for (const command of ['validate', 'compile', 'run']) {
        const result = await cli(command, file(name));
        expect(result.code, `${command} ${name}`).toBe(1);
        expect(result.stderr, `${command} ${name}`).toMatch(reason);
        expect(result.stderr, `${command} ${name}`).not.toMatch(/RangeError|Maximum call stack|internal/i);
      }
    }
    for (const input of [
      `{"n":${'['.repeat(3000)}${']'.repeat(3000)}}`,
      '{"n":1e309}',
      '{"__proto__":{"a":1}}',
    ]) {
      const result = await cli('run', file('greeting.json'), '--input', input, '--json');
      expect(result.code, input.slice(0, 20)).toBe(1);
      expect(result.stdout, input.slice(0, 20)).toBe('');
    }
  });

  it('refuses an input over 256 KiB as StartExecution does (ValidationException), with exit 1 and nothing run', async () => {
    await writeFile(file('huge-input.json'), JSON.stringify({ name: 'x'.repeat(300 * 1024) }));
    const { code, stdout, stderr } = await cli(
      'run',
      file('greeting.json'),
      `--input=@${file('huge-input.json')}`,
      '--json',
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^flowforge run: ValidationException: .*less than or equal to 262144 \(the execution input is 307\d{3} bytes\)/,
    );
  });

  it('exits 1 with the FAILED record when the run fails', async () => {
    const { code, stdout } = await cli('run', file('failing.json'), '--json');
    expect(code).toBe(1);
    const record = JSON.parse(stdout);
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ error: 'Refused', cause: 'no way' });
    expect(record.nodes.first.status).toBe('succeeded');
  });

  it('prints a readable summary without --json', async () => {
    const { code, stdout } = await cli('run', file('greeting.json'), '--input', '{"name":"Bo"}');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^greeting: SUCCEEDED in [\d.]+ m?s$/m);
    expect(stdout).toMatch(/^ {2}✓ greet\s+succeeded\s+[\d.]+ m?s\s+\{"message":"hello Bo"\}$/m);
    expect(stdout).toMatch(/^ {2}- vip\s+skipped/m);
  });

  it('works end to end through bin/flowforge.js', async () => {
    const result = await promisify(execFile)(
      process.execPath,
      ['bin/flowforge.js', 'run', 'examples/hello.json', '--input', '{"name":"Ada"}', '--json'],
      { cwd: join(import.meta.dirname, '../../..') },
    );
    const record = JSON.parse(result.stdout);
    expect(record.status).toBe('SUCCEEDED');
    expect(Object.keys(record)).toEqual(expect.arrayContaining(['status', 'output', 'nodes']));
    for (const node of Object.values(record.nodes) as Array<Record<string, unknown>>) {
      expect(node.status).toBe('succeeded');
    }
  });
});
