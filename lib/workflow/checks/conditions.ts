import { conditionPaths, parseCondition } from '../expression.ts';
import { ExpressionSyntaxError, isBodyPath } from '../path-ref.ts';
import { type NodeReference, nodeRefs } from './node-references.ts';
import type { ValidationContext } from './validation-context.ts';

/**
 * Conditions of connections parse (the message carries the position), and every `nodes.<id>` path in
 * them is read from the edge's source or a node upstream of it (collected into `references`).
 */
export function checkConditions(ctx: ValidationContext, references: NodeReference[]): void {
  for (const d of ctx.declarations) {
    if (typeof d.condition !== 'string') continue;
    const pointer = `${d.pointer}/condition`;
    let paths: ReturnType<typeof conditionPaths>;
    try {
      paths = conditionPaths(parseCondition(d.condition));
    } catch (error) {
      ctx.error(pointer, `condition does not parse: ${describe(error)}`);
      continue;
    }
    const bodyPath = ctx.body ? undefined : paths.find(isBodyPath);
    if (bodyPath) {
      ctx.error(
        pointer,
        `condition path "${bodyPath.text}": item and index exist only inside a forEach body`,
      );
    }
    if (typeof d.from !== 'string' || !ctx.byId.has(d.from)) continue;
    for (const ref of nodeRefs(paths)) {
      references.push({ ref, pointer, reader: d.from, selfAllowed: true, where: 'condition' });
    }
  }
}

/** The message of a parser error, or a generic one for anything unexpected. */
export function describe(error: unknown): string {
  if (error instanceof ExpressionSyntaxError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
