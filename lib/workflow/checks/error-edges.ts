import type { ValidationContext } from './validation-context.ts';

/** `onError: fail` contradicts an outgoing `on: error` edge (the run would fail before taking it). */
export function checkErrorEdges(ctx: ValidationContext): void {
  for (const node of ctx.byId.values()) {
    if (node.raw.onError !== 'fail') continue;
    const errorEdge = (ctx.graph.outgoing.get(node.id) ?? []).find((edge) => edge.on === 'error');
    if (errorEdge) {
      ctx.error(
        `${node.pointer}/onError`,
        `node "${node.id}" has "onError": "fail" and an error edge to "${errorEdge.to}" (${errorEdge.pointer}); use "continue" or drop the edge`,
      );
    }
  }
}
