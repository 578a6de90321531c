import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../lib/local/worker-pool.ts';
import { BACKGROUND_PRIORITY } from '../../../lib/runtime/local/background-priority.ts';
import { InterpreterThread } from '../../../lib/runtime/local/interpreter-thread.ts';

const tasks = new URL('../../fixtures/worker-tasks/tasks.ts', import.meta.url);

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
const threadNices = (): Map<string, number> =>
  new Map(
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [tid, Number(fields[16])];
    }),
  );

/**
 * User work runs below the API's thread: worker processes and the interpreter thread at nice 19,
 * unless FLOWFORGE_BACKGROUND_PRIORITY=normal (what test/setup.ts sets for the rest of the suite).
 */
describe('background priority of user work', () => {
  const saved = process.env.FLOWFORGE_BACKGROUND_PRIORITY;
  afterEach(() => {
    process.env.FLOWFORGE_BACKGROUND_PRIORITY = saved;
  });

  it('runs worker-pool tasks in processes at the lowest priority', async () => {
    delete process.env.FLOWFORGE_BACKGROUND_PRIORITY;
    const pool = new WorkerPool({ size: 1 });
    try {
      await expect(
        pool.run({ module: tasks, export: 'priority' }, null, { timeoutMs: 20_000 }),
      ).resolves.toBe(BACKGROUND_PRIORITY);
    } finally {
      await pool.close();
    }
  });

  it('keeps worker processes at this process priority when told normal', async () => {
    process.env.FLOWFORGE_BACKGROUND_PRIORITY = 'normal';
    const pool = new WorkerPool({ size: 1 });
    try {
      await expect(
        pool.run({ module: tasks, export: 'priority' }, null, { timeoutMs: 20_000 }),
      ).resolves.toBe(getPriority());
    } finally {
      await pool.close();
    }
  });

  it.runIf(process.platform === 'linux')('lowers the interpreter thread only, not this thread', async () => {
    delete process.env.FLOWFORGE_BACKGROUND_PRIORITY;
    const before = threadNices();
    const thread = new InterpreterThread();
    try {
      thread.warm();
      let lowered: string[] = [];
      for (let i = 0; i < 200 && lowered.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        lowered = [...threadNices()]
          .filter(([tid, nice]) => !before.has(tid) && nice === BACKGROUND_PRIORITY)
          .map(([tid]) => tid);
      }
      expect(lowered).toHaveLength(1);
      // This (the API's) thread keeps its priority.
      expect(threadNices().get(String(process.pid))).toBe(getPriority());
    } finally {
      await thread.close();
    }
  });
});
