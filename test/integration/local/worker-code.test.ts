import { afterAll, describe, expect, it } from 'vitest';
import { workerCodeRunner } from '../../../lib/local/worker-code.ts';
import { WorkerPool } from '../../../lib/local/worker-pool.ts';

/** Local mode runs code in the worker pool: same results and errors, and a hard kill past the time. */
describe('code in the local worker pool', () => {
  const pool = new WorkerPool({ size: 1 });
  const run = workerCodeRunner(pool);
  afterAll(() => pool.close());

  it('answers the output and console lines as in the Lambda', async () => {
    await expect(
      run({ source: 'console.log("hi"); return args.n * 2', args: { n: 21 }, timeoutMs: 1000, memoryMb: 16 }),
    ).resolves.toEqual({
      output: 42,
      logs: ['hi'],
    });
  });

  it('keeps the sandbox errors (name and message with the line)', async () => {
    await expect(
      run({ source: 'return 1;\n\nnull.x', args: {}, timeoutMs: 1000, memoryMb: 16 }),
    ).resolves.toEqual({ output: 1, logs: [] });
    await expect(
      run({
        source: 'const a = 1;\nthrow new RangeError("too far")',
        args: {},
        timeoutMs: 1000,
        memoryMb: 16,
      }),
    ).rejects.toMatchObject({
      name: 'CodeError',
      message: expect.stringMatching(/^RangeError: too far \(line 2, column \d+\)$/),
    });
    await expect(
      run({ source: 'for (;;) {}', args: {}, timeoutMs: 100, memoryMb: 16 }),
    ).rejects.toMatchObject({ name: 'CodeTimeout' });
  });

  it('a long native call, where no interrupt check runs, is killed at timeoutMs + grace: CodeTimeout, and the next run works', async () => {
    const error = await run({
      source: 'const a = new Array(4e6).fill(7); a.sort(); return a.length',
      args: {},
      timeoutMs: 50,
      memoryMb: 128,
    }).catch((thrown: Error) => thrown);
    expect((error as Error).name).toBe('CodeTimeout');
    await expect(run({ source: 'return "next"', args: {}, timeoutMs: 1000, memoryMb: 16 })).resolves.toEqual({
      output: 'next',
      logs: [],
    });
  });
});
