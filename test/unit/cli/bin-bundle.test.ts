import { execFile } from 'node:child_process';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUNDLE = join(ROOT, 'dist', 'cli', 'main.js');
const META = join(ROOT, 'dist', 'cli.meta.json');

async function validateHello(): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['bin/flowforge.js', 'validate', 'examples/hello.json', '--json'],
    {
      cwd: ROOT,
    },
  );
  return stdout;
}

// One test: the bundle is shared by every CLI test, so the steps must not interleave.
describe('bin/flowforge.js runs a prebuilt bundle only while it is fresh', () => {
  it('rebuilds a bundle older than its sources, and one whose metafile is unreadable', async () => {
    expect(JSON.parse(await validateHello())).toMatchObject({ valid: true, errors: [] });
    const inputs = JSON.parse(await readFile(META, 'utf8')) as string[];
    expect(inputs).toContain('lib/cli/main.ts');
    expect(inputs.some((file) => file.startsWith('node_modules/'))).toBe(false);

    const past = new Date('2001-01-01T00:00:00Z');
    await utimes(BUNDLE, past, past);
    expect(JSON.parse(await validateHello()).valid).toBe(true);
    expect((await stat(BUNDLE)).mtimeMs).toBeGreaterThan(past.getTime());

    await writeFile(META, 'not json');
    const before = (await stat(BUNDLE)).mtimeMs;
    expect(JSON.parse(await validateHello()).valid).toBe(true);
    expect(JSON.parse(await readFile(META, 'utf8'))).toEqual(inputs);
    expect((await stat(BUNDLE)).mtimeMs).toBeGreaterThanOrEqual(before);
  });
});
