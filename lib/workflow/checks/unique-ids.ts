import type { ValidationContext } from './validation-context.ts';

/** Node ids are unique: each repeat is an error at its `id`, naming the index of the first. */
export function checkUniqueIds(ctx: ValidationContext): void {
  for (const node of ctx.nodes) {
    if (node.first) continue;
    const first = ctx.byId.get(node.id);
    ctx.error(
      `${node.pointer}/id`,
      `duplicate node id "${node.id}" (first used by /nodes/${first?.index ?? '?'})`,
    );
  }
}
