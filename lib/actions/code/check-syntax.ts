import { createRequire } from 'node:module';

type Parse = (source: string, options: Record<string, unknown>) => unknown;

let parse: Parse | undefined;

/**
 * The syntax problem of a code action's `source` (the body of an async function), as a message
 * with line and column, or `undefined` when it parses.
 *
 * The check runs at save time in the API, whose bundle must stay small, so it uses acorn (ES2025,
 * the body parsed as the sandbox compiles it: `return` and `await` allowed) loaded on first use
 * through `require`: bundles do not inline it, and the API function ships the package beside its
 * bundle (infra). QuickJS itself is ~600 KB of WebAssembly and loads asynchronously. Any syntax
 * QuickJS refuses that acorn accepts still fails at run time with `CodeError` naming the line.
 */
export function syntaxProblem(source: string): string | undefined {
  parse ??= (createRequire(import.meta.url)('acorn') as { parse: Parse }).parse;
  try {
    parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
    });
    return undefined;
  } catch (error) {
    const failure = error as { message?: string; loc?: { line: number; column: number } };
    // acorn's message ends with "(line:column)"; say it in words.
    const text = (failure.message ?? String(error)).replace(/\s*\(\d+:\d+\)$/, '');
    return failure.loc
      ? `source does not parse: ${text} at line ${failure.loc.line}, column ${failure.loc.column + 1}`
      : `source does not parse: ${text}`;
  }
}
