import type { WaitAnswer } from '../store/wait-store.ts';
import type { TaskTokens } from './task-tokens.ts';

/**
 * The token of a local waiting Task: `local:<tenant>:<executionId>:<wait key>`, the same after a
 * restart, so a resumed run finds its wait (a wait node's, or a subflow node's).
 */
export const localTaskToken = (tenant: string, executionId: string, waitKey: string): string =>
  `local:${tenant}:${executionId}:${waitKey}`;

/**
 * The local adapter of {@link TaskTokens}: the local runner's Task handler `expect`s its token and
 * waits; `answer` wakes it. An answer for a token nobody waits on is dropped without error: the
 * waiting node's item in the wait store already holds it, and a handler that begins (or resumes,
 * after a restart) waiting reads it from there.
 */
export class LocalTaskTokens implements TaskTokens {
  private readonly waiters = new Map<string, (answer: WaitAnswer) => void>();

  async answer(token: string, answer: WaitAnswer): Promise<void> {
    this.waiters.get(token)?.(answer);
  }

  /**
   * Registers a waiter for `token` (before the wait is registered in the store, so no answer slips
   * between). `answered` settles with the first answer; `dispose` forgets the waiter.
   */
  expect(token: string): { answered: Promise<WaitAnswer>; dispose(): void } {
    let resolve!: (answer: WaitAnswer) => void;
    const answered = new Promise<WaitAnswer>((settle) => {
      resolve = settle;
    });
    this.waiters.set(token, resolve);
    return {
      answered,
      dispose: () => {
        if (this.waiters.get(token) === resolve) this.waiters.delete(token);
      },
    };
  }

  /** How many Tasks wait right now. */
  get size(): number {
    return this.waiters.size;
  }
}
