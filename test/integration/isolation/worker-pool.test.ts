import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool, workerExecArgv } from '../../../lib/local/worker-pool.ts';
import { workerTransformEvaluator } from '../../../lib/local/worker-transform.ts';

const tasks = new URL('../../fixtures/worker-tasks/tasks.ts', import.meta.url);
const task = (name: string) => ({ module: tasks, export: name });

/** The worker pool's limits stop a task for real, and the caller's thread keeps running meanwhile. */
describe('WorkerPool', () => {
  const pool = new WorkerPool({ size: 2 });
  afterAll(() => pool.close());

  it('runs a task module export and answers its output', async () => {
    await expect(pool.run(task('echo'), { a: [1, 2] }, { timeoutMs: 5000 })).resolves.toEqual({
      echoed: { a: [1, 2] },
    });
  });

  it('kills a task that never yields at its time limit, while this thread goes on', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const spinning = pool.run(task('spin'), null, { timeoutMs: 300 });
    await expect(spinning).rejects.toMatchObject({ name: 'WorkerTimeout' });
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(0);
    // The pool replaced the killed worker.
    await expect(pool.run(task('echo'), 1, { timeoutMs: 5000 })).resolves.toEqual({ echoed: 1 });
  });

  it('stops a task that outgrows its heap, and the pool (and this process) survive', async () => {
    await expect(pool.run(task('hog'), null, { timeoutMs: 20_000, memoryMb: 32 })).rejects.toMatchObject({
      name: 'WorkerMemoryLimit',
    });
    await expect(pool.run(task('echo'), 2, { timeoutMs: 5000 })).resolves.toEqual({ echoed: 2 });
  });

  it('gives workers no AWS credentials (a Lambda environment holds them)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });
    const fresh = new WorkerPool({ size: 1 });
    try {
      await expect(fresh.run(task('credentials'), null, { timeoutMs: 20_000 })).resolves.toEqual([]);
    } finally {
      await fresh.close();
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
    }
  });

  it('refuses an output over maxOutputBytes in the worker', async () => {
    await expect(
      pool.run(task('big'), { bytes: 10_000 }, { timeoutMs: 5000, maxOutputBytes: 1000 }),
    ).rejects.toMatchObject({ name: 'WorkerOutputTooLarge', bytes: 10_002 });
  });

  it("answers a task's own error by name, message and fields", async () => {
    await expect(pool.run(task('fail'), null, { timeoutMs: 5000 })).rejects.toMatchObject({
      name: 'TypeError',
      message: 'bad input',
      details: { code: 'E42' },
    });
  });
});

/** The hostile transforms of issue 11, evaluated the way local mode evaluates them. */
describe('transforms in the worker pool', () => {
  const pool = new WorkerPool({ size: 1 });
  const evaluate = workerTransformEvaluator(pool);
  afterAll(() => pool.close());
  const run = (expression: string) =>
    evaluate({ expression, data: { input: { n: 2 } }, timeoutMs: 1000, maxResultBytes: 200 * 1024 });

  it('a catastrophic regex ends as TransformTimeout at its timeoutMs', async () => {
    await expect(run('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)')).rejects.toMatchObject({
      name: 'TransformTimeout',
    });
  });

  it('a 100 MB $pad ends at its memory (or time) limit, not as a dead server', async () => {
    const error = await run('$length($pad("", 100000000, "x"))').catch((e: Error) => e);
    // Which limit is hit first depends on the machine's speed; both stop the worker, not the server.
    expect(['TransformMemoryLimit', 'TransformTimeout']).toContain((error as Error).name);
    await expect(run('input.n + 1')).resolves.toBe(3);
  });

  it('a result over maxResultBytes is TransformResultTooLarge; a syntax error is TransformError', async () => {
    await expect(run('$pad("", 300000, "x")')).rejects.toMatchObject({ name: 'TransformResultTooLarge' });
    await expect(run('input.(')).rejects.toMatchObject({ name: 'TransformError' });
    await expect(run('input.n * 21')).resolves.toBe(42);
  });
});

/**
 * A process started as `node -e '<code>'` holds the code in its execArgv. Passed on to a worker,
 * the worker ran that code instead of its entry, and the code's own pool forked again, without end.
 */
describe('WorkerPool in a process started with node -e', () => {
  it('gives its workers none of the parent program flags, and no second copy of its own limits', () => {
    const entry = new URL('file:///app/worker.mjs');
    expect(
      workerExecArgv(entry, 64, [
        '--input-type=module',
        '-e',
        'import("x")',
        '--eval=1',
        '-p',
        '2',
        '--import',
        'tsx',
        '--max-semi-space-size=8',
        '--stack-size=2000',
        '--max-old-space-size=512',
        '--inspect=0',
        '-i',
        '--enable-source-maps',
      ]),
    ).toEqual([
      '--import',
      'tsx',
      '--enable-source-maps',
      '--max-old-space-size=64',
      '--max-semi-space-size=8',
      '--stack-size=2000',
    ]);
  });

  it('runs a task in its worker and answers, once', async () => {
    const script = `
      const { WorkerPool } = await import(${JSON.stringify(new URL('../../../lib/local/worker-pool.ts', import.meta.url).href)});
      const pool = new WorkerPool({ size: 1 });
      const answer = await pool.run({ module: new URL(${JSON.stringify(tasks.href)}), export: 'echo' }, 'once', { timeoutMs: 15000 });
      await pool.close();
      process.stdout.write(JSON.stringify(answer));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 30_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ echoed: 'once' });
  }, 40_000);
});
