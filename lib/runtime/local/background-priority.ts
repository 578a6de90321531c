import { constants, setPriority } from 'node:os';

/**
 * The scheduling priority of user work on one machine: the worker processes that run JSONata,
 * regexes and sandboxed code, and the interpreter thread that runs every execution's states. They
 * run at the lowest priority (nice 19), so that the thread answering HTTP requests wins every
 * contended core: a catastrophic regex or a 5,000-node run slows other runs, never `/health` or
 * another tenant's requests (bench/isolation.bench.ts measures it).
 *
 * `FLOWFORGE_BACKGROUND_PRIORITY=normal` keeps them at the normal priority. The test suite does so
 * (test/setup.ts): it runs many servers beside busy test workers, where a nice-19 worker could be
 * starved past a task's wall-clock time limit.
 *
 * `setPriority(0, …)` from a thread changes that thread only on Linux (the nice value is a
 * per-thread attribute there, setpriority(2)); elsewhere it may change the whole process, so the
 * thread form is used on Linux only. A platform that refuses keeps the normal priority: this is a
 * latency measure, not a limit.
 */
export const BACKGROUND_PRIORITY = constants.priority.PRIORITY_LOW;

const lowered = (): boolean => process.env.FLOWFORGE_BACKGROUND_PRIORITY !== 'normal';

/**
 * The priority a worker process boots at (nice 10, about a tenth of a normal thread's share of a
 * contended core): low enough that the boots of workers replaced after a memory kill do not take
 * the API thread's core, high enough that a boot on busy cores still ends within the pool's
 * start-up allowance (at nice 19 a boot beside a busy test suite took over 30 s). The worker
 * lowers itself to {@link BACKGROUND_PRIORITY} before its first task.
 */
export const BOOT_PRIORITY = 10;

/** Lowers the process `pid` (a worker process, or this one from inside it) to `priority`. */
export function lowerProcessPriority(pid: number | undefined, priority: number = BACKGROUND_PRIORITY): void {
  if (pid === undefined || !lowered()) return;
  try {
    setPriority(pid, priority);
  } catch {
    // Kept at normal priority (see the module comment).
  }
}

/** Lowers the calling thread (a worker thread) to {@link BACKGROUND_PRIORITY}, on Linux. */
export function lowerThisThreadPriority(): void {
  if (process.platform !== 'linux' || !lowered()) return;
  try {
    setPriority(0, BACKGROUND_PRIORITY);
  } catch {
    // Kept at normal priority (see the module comment).
  }
}
