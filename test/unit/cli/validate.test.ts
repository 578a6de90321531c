import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../lib/cli/cli-io.ts';
import { main } from '../../../lib/cli/main.ts';

function capture(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}

let dir: string;
const file = (name: string) => join(dir, name);
const good = {
  name: 'ok',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'say',
      type: 'action',
      action: 'log',
      config: { message: 'hi {{ input.name }}' },
      dependencies: ['start'],
    },
  ],
};
const bad = {
  name: 'bad',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    { id: 'a', type: 'action', action: 'log', config: { message: 'a' }, dependencies: ['start'] },
    {
      id: 'b',
      type: 'action',
      action: 'log',
      config: { message: 'b' },
      dependencies: ['ghost'],
      join: 'any',
    },
  ],
  connections: [{ from: 'a', to: 'b', condition: 'input.x = 1' }],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowforge-validate-'));
  await writeFile(file('good.json'), JSON.stringify(good));
  await writeFile(file('bad.json'), JSON.stringify(bad, null, 2));
  await writeFile(file('empty.json'), '');
  await writeFile(file('array.json'), '[{"name":"x"}]');
  await writeFile(file('broken.json'), '{\n  "name": "x",\n  "nodes": [,]\n}');
  await writeFile(file('huge.json'), Buffer.alloc(5 * 1024 * 1024 + 1, 'x'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flowforge validate (main)', () => {
  it('exits 0 on a valid file and prints a summary', async () => {
    const io = capture();
    expect(await main(['validate', file('good.json')], io)).toBe(0);
    expect(io.out).toBe(`${file('good.json')}: valid\n`);
    expect(io.err).toBe('');
  });

  it('exits 1 on an invalid file with one line per error, then warnings, then a summary', async () => {
    const io = capture();
    expect(await main(['validate', file('bad.json')], io)).toBe(1);
    expect(io.out.trimEnd().split('\n')).toEqual([
      'ERROR /connections/0/condition: condition does not parse: use "==" to compare (at character 9)',
      'ERROR /nodes/2/dependencies/0: dependency names node "ghost", which does not exist',
      'WARN /nodes/2/join: "join" has no effect on node "b": it has only one incoming edge',
      `${file('bad.json')}: invalid, 2 errors, 1 warning`,
    ]);
  });

  it('--json prints { valid, errors, warnings } with JSON pointers', async () => {
    const io = capture();
    expect(await main(['validate', file('bad.json'), '--json'], io)).toBe(1);
    const printed = JSON.parse(io.out);
    expect(Object.keys(printed)).toEqual(['valid', 'errors', 'warnings']);
    expect(printed.valid).toBe(false);
    expect(printed.errors.map((e: { path: string }) => e.path)).toEqual([
      '/connections/0/condition',
      '/nodes/2/dependencies/0',
    ]);
    const ok = capture();
    expect(await main(['validate', '--json', file('good.json')], ok)).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({ valid: true, errors: [], warnings: [] });
  });

  it.each([
    ['missing.json', /no such file/],
    ['empty.json', /is empty/],
    ['array.json', /holds an array; a workflow definition is a JSON object/],
    ['broken.json', /is not valid JSON: .* at line 3, column 13/],
    ['huge.json', /is 5\.0 MB; a definition file may be at most 5\.0 MB/],
  ])('an unreadable %s exits 1 with a clear message, also as JSON', async (name, message) => {
    const io = capture();
    expect(await main(['validate', file(name)], io)).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.err).not.toMatch(/\n\s+at /); // no stack trace
    const json = capture();
    expect(await main(['validate', file(name), '--json'], json)).toBe(1);
    const printed = JSON.parse(json.out);
    expect(printed).toEqual({
      valid: false,
      errors: [{ path: '', message: expect.stringMatching(message) }],
    });
  });

  it('exits 2 on bad usage', async () => {
    for (const argv of [['validate'], ['validate', 'a.json', 'b.json'], ['validate', '--yaml', 'a.json']]) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.err).toContain('Usage: flowforge validate FILE [--json]');
      expect(io.out).toBe('');
    }
  });
});

describe('flowforge (main)', () => {
  it('prints usage and the version on stdout with exit 0 for --help and --version', async () => {
    const help = capture();
    expect(await main(['--help'], help)).toBe(0);
    expect(help.out).toContain('flowforge graph FILE [--format mermaid|dot]');
    expect(help.out).toContain('flowforge run FILE');
    expect(help.err).toBe('');
    const version = capture();
    expect(await main(['--version'], version)).toBe(0);
    expect(version.out).toMatch(/^flowforge \d+\.\d+\.\d+\n$/);
    const verbHelp = capture();
    expect(await main(['run', '--help'], verbHelp)).toBe(0);
    expect(verbHelp.out).toContain('Usage: flowforge run FILE');
  });

  it('prints usage on stderr and exits 2 for no verb and an unknown verb', async () => {
    for (const argv of [[], ['deploy']]) {
      const io = capture();
      expect(await main(argv, io)).toBe(2);
      expect(io.err).toContain('flowforge validate FILE [--json]');
      expect(io.err).toContain('flowforge compile FILE');
      expect(io.err).toContain('flowforge run FILE');
    }
    const io = capture();
    await main(['deploy'], io);
    expect(io.err).toContain('unknown command "deploy"');
  });
});
