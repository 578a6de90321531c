import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface RunRecord {
  status: string;
  error?: { error: string; cause?: string };
  nodes: Record<
    string,
    { status: string; output?: unknown; logs?: string[]; error?: { error: string; cause?: string } }
  >;
}

const definition = {
  name: 'code-steps',
  nodes: [
    {
      id: 'clean',
      type: 'action',
      action: 'code',
      config: {
        source:
          'console.log("items", args.items.length);\nif (args.items.length === 0) throw new Error("no items");\nreturn args.items.filter((i) => i.price > 10).map((i) => ({ ...i, vat: i.price * 0.2 }));',
        args: { items: '{{ input.items }}' },
        timeoutMs: 1000,
        memoryMb: 16,
      },
    },
    {
      id: 'report',
      type: 'action',
      action: 'log',
      dependencies: ['clean'],
      config: { message: 'first vat {{ nodes.clean.output.0.vat }}' },
    },
  ],
};

async function runFlow(input: unknown): Promise<{ code: number; record: RunRecord }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowforge-code-'));
  const file = path.join(dir, 'flow.json');
  writeFileSync(file, JSON.stringify(definition));
  const args = ['bin/flowforge.js', 'run', file, '--input', JSON.stringify(input), '--json'];
  try {
    const { stdout } = await run(process.execPath, args);
    return { code: 0, record: JSON.parse(stdout) as RunRecord };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, record: JSON.parse(failed.stdout) as RunRecord };
  }
}

describe('flowforge run with a code node', () => {
  it('the return value is the node output, later templates read it, console lines are in the record', async () => {
    const { code, record } = await runFlow({ items: [{ price: 5 }, { price: 20 }] });
    expect(code).toBe(0);
    expect(record.nodes.clean).toMatchObject({
      status: 'succeeded',
      output: [{ price: 20, vat: 4 }],
      logs: ['items 2'],
    });
    expect(record.nodes.report?.output).toEqual({ message: 'first vat 4' });
  });

  it('a thrown exception fails the node with CodeError, its message and line', async () => {
    const { code, record } = await runFlow({ items: [] });
    expect(code).toBe(1);
    expect(record.status).toBe('FAILED');
    expect(record.nodes.clean?.status).toBe('failed');
    expect(record.nodes.clean?.error).toEqual({
      error: 'CodeError',
      cause: 'Error: no items (line 2, column 45)',
    });
    expect(record.nodes.report?.status).not.toBe('succeeded');
  });
});
