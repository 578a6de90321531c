import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function flowforge(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/flowforge.js', ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowforge-bin-'));
  await writeFile(
    join(dir, 'broken.json'),
    JSON.stringify({
      name: 'x',
      nodes: [{ id: 'start', type: 'trigger', trigger: 'manual', dependencies: ['start'] }],
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bin/flowforge.js validate (real process)', () => {
  it('exits 0 on an example, 1 on a broken definition with its path, 2 on bad usage', async () => {
    const [ok, broken, usage] = await Promise.all([
      flowforge('validate', 'examples/hello.json'),
      flowforge('validate', join(dir, 'broken.json'), '--json'),
      flowforge('validate'),
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: 'examples/hello.json: valid\n' });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout).errors).toEqual([
      { path: '/nodes/0/dependencies/0', message: 'node "start" cannot depend on itself' },
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage:');
  });
});
