import type { ActionDefinition } from '../action.ts';
import { CodeError, CodeMemoryLimitError, CodeTimeoutError } from './errors.ts';
import { runInSandbox, type SandboxRun } from './sandbox.ts';
import { type CodeConfig, type CodeResult, codeConfigSchema } from './schema.ts';

export * from './errors.ts';
export type { SandboxRun } from './sandbox.ts';
export type { CodeConfig, CodeResult } from './schema.ts';

/** Runs one invocation: {@link runInSandbox} in this process, or the local worker pool. */
export type CodeRunner = (run: SandboxRun, signal?: AbortSignal) => Promise<CodeResult>;

/**
 * Builds the `code` action (DESIGN.md §2.2): runs `source` as the body of an async function of
 * `args` in a fresh QuickJS runtime (lib/actions/code/sandbox.ts) and returns `{ output, logs }`:
 * the JSON return value and the `console` lines. The compiled Task's ResultSelector makes `output`
 * the node's output and keeps `logs` in its record. Errors: `CodeError`, `CodeTimeout`,
 * `CodeMemoryLimit`. `runner` defaults to the sandbox in this process (the Lambda: one invocation
 * at a time); local mode passes the worker pool's, so no user code runs on the API's event loop.
 */
export function createCodeAction(
  options: { runner?: CodeRunner } = {},
): ActionDefinition<CodeConfig, CodeResult> {
  const runner = options.runner ?? ((run) => runInSandbox(run));
  return {
    kind: 'code',
    configSchema: codeConfigSchema,
    run: (config, context) =>
      runner(
        { source: config.source, args: config.args, timeoutMs: config.timeoutMs, memoryMb: config.memoryMb },
        context.signal,
      ),
  };
}

/** The `code` action of the Lambda (and `flowforge run`): the sandbox in this process. */
export const codeAction: ActionDefinition<CodeConfig, CodeResult> = createCodeAction();

/**
 * The code error a worker's failure stands for: the sandbox's own errors keep their name and
 * message across the process boundary; a worker killed at its deadline is `CodeTimeout`, one out
 * of heap `CodeMemoryLimit`.
 */
export function codeErrorOf(error: unknown, run: Pick<SandboxRun, 'timeoutMs' | 'memoryMb'>): unknown {
  if (!(error instanceof Error)) return error;
  switch (error.name) {
    case 'CodeError':
      return new CodeError(error.message, { cause: error.message });
    case 'CodeTimeout':
      return new CodeTimeoutError(error.message, { cause: error.message });
    case 'CodeMemoryLimit':
      return new CodeMemoryLimitError(error.message, { cause: error.message });
    case 'WorkerTimeout':
      return new CodeTimeoutError(`the code ran longer than timeoutMs (${run.timeoutMs} ms)`, {
        cause: error.message,
      });
    case 'WorkerMemoryLimit':
      return new CodeMemoryLimitError(`the code needed more than memoryMb (${run.memoryMb} MB)`, {
        cause: error.message,
      });
    default:
      return error;
  }
}
