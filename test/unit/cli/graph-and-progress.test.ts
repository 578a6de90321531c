import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../lib/cli/cli-io.ts';
import { main } from '../../../lib/cli/main.ts';
import { toDot, toMermaid } from '../../../lib/workflow/diagram.ts';

async function cli(...argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
  };
  const code = await main(argv, io);
  return { code, ...out };
}

const branches = {
  name: 'branches',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'fetch',
      type: 'action',
      action: 'transform',
      config: { expression: '1' },
      dependencies: ['start'],
    },
    { id: 'cool', type: 'operation', operation: 'delay', config: { seconds: 0 } },
    { id: 'alert', type: 'action', action: 'log', config: { message: 'failed' } },
    { id: 'done', type: 'action', action: 'log', config: { message: 'done' }, join: 'any' },
  ],
  connections: [
    { from: 'fetch', to: 'cool', condition: 'nodes.fetch.output == 1' },
    { from: 'fetch', to: 'alert', on: 'error' },
    { from: 'cool', to: 'done', on: 'always' },
    { from: 'alert', to: 'done' },
  ],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowforge-graph-'));
  await writeFile(join(dir, 'branches.json'), JSON.stringify(branches));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flowforge graph', () => {
  it('prints a Mermaid flowchart: shapes by node type, error edges dotted, always edges thick, conditions as labels', async () => {
    const { code, stdout, stderr } = await cli('graph', join(dir, 'branches.json'));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.split('\n')[0]).toBe('flowchart TD');
    expect(stdout).toContain('start(["start<br/>trigger: manual"])');
    expect(stdout).toContain('cool{{"cool<br/>operation: delay"}}');
    expect(stdout).toContain('done["done<br/>action: log (join any)"]');
    expect(stdout).toContain('fetch -->|"nodes.fetch.output == 1"| cool');
    expect(stdout).toContain('fetch -.->|"error"| alert');
    expect(stdout).toContain('cool ==>|"always"| done');
    expect(stdout).toContain('start --> fetch');
  });

  it('prints a Graphviz digraph with --format dot', async () => {
    const { code, stdout } = await cli('graph', join(dir, 'branches.json'), '--format', 'dot');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^digraph "branches" \{/);
    expect(stdout).toContain('"fetch" -> "alert" [label="error", style=dashed, color=red];');
    expect(stdout).toContain('"cool" -> "done" [label="always", style=bold];');
    expect(stdout).toContain('"start" [label="start\\ntrigger: manual", shape=oval];');
  });

  it('draws a forEach body as a subgraph (Mermaid) and a cluster (dot)', () => {
    const definition = {
      name: 'loop',
      nodes: [
        {
          id: 'each',
          type: 'operation',
          operation: 'forEach',
          config: {
            items: '{{ input.list }}',
            nodes: [
              { id: 'price', type: 'action', action: 'transform', config: { expression: 'item' } },
              {
                id: 'note',
                type: 'action',
                action: 'log',
                config: { message: 'x' },
                dependencies: ['price'],
              },
            ],
          },
        },
      ],
    };
    const mermaid = toMermaid(definition);
    expect(mermaid).toContain('subgraph each_body["forEach each"]');
    expect(mermaid).toContain('    price --> note');
    const dot = toDot(definition);
    expect(dot).toContain('subgraph "cluster_each" {');
    expect(dot).toContain('"price" -> "note";');
  });

  it('refuses an unknown format and an invalid definition', async () => {
    expect((await cli('graph', join(dir, 'branches.json'), '--format', 'png')).code).toBe(2);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ name: 'x', nodes: [{ id: 'a', type: 'nope' }] }));
    const bad = await cli('graph', join(dir, 'bad.json'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ERROR \/nodes\/0/m);
  });
});

describe('flowforge run progress', () => {
  it('prints each node on stderr as it finishes, and nothing there with --json', async () => {
    const run = await cli('run', join(dir, 'branches.json'));
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines.map((line) => line.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual(
      expect.arrayContaining([
        '✓ start succeeded',
        '✓ fetch succeeded',
        '- alert skipped',
        '✓ done succeeded',
      ]),
    );
    // In finishing order: a node's line never comes before the line of a node it depends on.
    const order = lines.map((line) => line.trim().split(/\s+/)[1]);
    expect(order.indexOf('start')).toBeLessThan(order.indexOf('fetch'));
    expect(order.indexOf('fetch')).toBeLessThan(order.indexOf('done'));
    expect(run.stdout).toMatch(/^branches: SUCCEEDED/);
    const json = await cli('run', join(dir, 'branches.json'), '--json');
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).status).toBe('SUCCEEDED');
  });

  it('parses its options with node:util.parseArgs: unknown options and missing values exit 2', async () => {
    const unknown = await cli('run', join(dir, 'branches.json'), '--nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--nope'");
    expect((await cli('run', join(dir, 'branches.json'), '--input')).code).toBe(2);
    expect((await cli('validate', '--help')).code).toBe(0);
  });
});
