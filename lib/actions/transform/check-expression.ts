import { createRequire } from 'node:module';

type Parse = (expression: string) => unknown;
let parse: Parse | undefined;

/**
 * Why a JSONata expression does not parse (`"expression does not parse at position 3: …"`), or
 * `undefined` when it does. Parsing only: nothing is evaluated. Used by the config schema, so a
 * definition with a broken transform is refused at save time, not at its first run.
 *
 * The API validates at save time and its bundle must stay small, so jsonata is loaded on first use
 * through `require` (as the code action's acorn): bundles do not inline it, and the functions that
 * validate transform configs (API, transform) ship the package beside their bundle (infra).
 */
export function expressionProblem(expression: string): string | undefined {
  try {
    parse ??= createRequire(import.meta.url)('jsonata') as Parse;
    parse(expression);
    return undefined;
  } catch (error) {
    const failure = error as { code?: string; message?: string; position?: number };
    const where = failure.position === undefined ? '' : ` at position ${failure.position}`;
    return `expression does not parse${where}: ${failure.code ? `${failure.code} ` : ''}${failure.message ?? String(error)}`;
  }
}
