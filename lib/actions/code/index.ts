import type { ActionDefinition } from '../action.ts';
import { runInSandbox } from './sandbox.ts';
import { type CodeConfig, type CodeResult, codeConfigSchema } from './schema.ts';

export * from './errors.ts';
export type { CodeConfig, CodeResult } from './schema.ts';

/**
 * The `code` action (DESIGN.md §2.2): runs `source` as the body of an async function of `args` in
 * a fresh QuickJS runtime (lib/actions/code/sandbox.ts) and returns `{ output, logs }`: the JSON
 * return value and the `console` lines. The compiled Task's ResultSelector makes `output` the
 * node's output and keeps `logs` in its record. Errors: `CodeError`, `CodeTimeout`, `CodeMemoryLimit`.
 */
export const codeAction: ActionDefinition<CodeConfig, CodeResult> = {
  kind: 'code',
  configSchema: codeConfigSchema,
  run: (config) =>
    runInSandbox({
      source: config.source,
      args: config.args,
      timeoutMs: config.timeoutMs,
      memoryMb: config.memoryMb,
    }),
};
