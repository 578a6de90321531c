import * as z from 'zod/mini';
import { syntaxProblem } from './check-syntax.ts';

/** Longest `source` accepted (characters). */
export const MAX_SOURCE_LENGTH = 256 * 1024;

/**
 * Config of the `code` action (DESIGN.md §2.2): `source` is the body of an (async) function run in
 * QuickJS with `args` in scope (templates resolved; default `{}`); its JSON return value is the
 * node's output. `timeoutMs` 1–30,000 (default 1,000) and `memoryMb` 1–128 (default 32) are hard
 * limits. A `source` that does not parse is refused here, so a definition with one is invalid at
 * save time, with the line and column in the message.
 */
export const codeConfigSchema = z.strictObject({
  source: z.string().check(
    z.minLength(1),
    z.maxLength(MAX_SOURCE_LENGTH),
    z.superRefine((source, ctx) => {
      const problem = syntaxProblem(source);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: source });
    }),
  ),
  args: z._default(z.unknown(), () => ({})),
  timeoutMs: z._default(z.int().check(z.gte(1), z.lte(30_000)), 1000),
  memoryMb: z._default(z.int().check(z.gte(1), z.lte(128)), 32),
});

/** The parsed `code` config (defaults applied). */
export type CodeConfig = z.output<typeof codeConfigSchema>;

/**
 * What the code Lambda returns: the node's `output` (the function's JSON return value, `null` for
 * none) and the `console` lines it wrote (`logs`, at most 100). The Task's ResultSelector puts both
 * into the node's record.
 */
export interface CodeResult {
  output: unknown;
  logs: string[];
}
