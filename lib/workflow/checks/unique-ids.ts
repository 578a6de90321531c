import { NODE_ID_PATTERN } from '../definition-schema.ts';
import { MAX_FOREACH_DEPTH } from '../operation-configs.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';

/** Where a node id is declared: its pointer and, for a body node, the forEach that owns the body. */
export interface IdDeclaration {
  pointer: string;
  forEachId?: string;
}

/**
 * Every node id of the definition, forEach bodies included (depth first, in declaration order):
 * the first declaration of each id. Bodies deeper than the nesting limit are not walked.
 */
export function declaredIds(
  raw: unknown,
  onRepeat?: (id: string, pointer: string, first: IdDeclaration) => void,
) {
  const ids = new Map<string, IdDeclaration>();
  const walk = (scope: unknown, base: string, forEachId: string | undefined, depth: number): void => {
    if (!isRecord(scope) || !Array.isArray(scope.nodes)) return;
    scope.nodes.forEach((node: unknown, index) => {
      if (!isRecord(node)) return;
      const pointer = `${base}/nodes/${index}`;
      if (typeof node.id === 'string' && NODE_ID_PATTERN.test(node.id)) {
        const first = ids.get(node.id);
        if (first) onRepeat?.(node.id, pointer, first);
        else ids.set(node.id, forEachId === undefined ? { pointer } : { pointer, forEachId });
      }
      if (node.type === 'operation' && node.operation === 'forEach' && depth < MAX_FOREACH_DEPTH) {
        walk(node.config, `${pointer}/config`, typeof node.id === 'string' ? node.id : undefined, depth + 1);
      }
    });
  };
  walk(raw, '', undefined, 0);
  return ids;
}

/**
 * Node ids are unique across the whole definition, forEach bodies included (DESIGN.md §2.1): each
 * repeat is an error at its `id`, naming where the first is.
 */
export function checkUniqueIds(ctx: ValidationContext): ReadonlyMap<string, IdDeclaration> {
  return declaredIds(ctx.raw, (id, pointer, first) => {
    ctx.error(`${pointer}/id`, `duplicate node id "${id}" (first used by ${first.pointer})`);
  });
}
