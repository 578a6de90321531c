import type { PathRef } from '../path-ref.ts';
import type { IdDeclaration } from './unique-ids.ts';
import { answerUpstreamQueries } from './upstream-index.ts';
import type { ValidationContext } from './validation-context.ts';

/** A `nodes.<id>…` path read by a template or a condition, and who reads it. */
export interface NodeReference {
  ref: PathRef & { nodeId: string };
  /** Where the path is written. */
  pointer: string;
  /** The node whose data must already exist: the node using the template, or the source of a conditional edge. */
  reader: string;
  /** True when reading the reader's own output is fine (a condition on its outgoing edge, its compensation). */
  selfAllowed: boolean;
  /** `template` or `condition`, for the message. */
  where: 'template' | 'condition';
}

/** Keeps the node references of a path list that start with `nodes.`. */
export function nodeRefs(refs: Iterable<PathRef>): Array<PathRef & { nodeId: string }> {
  const out: Array<PathRef & { nodeId: string }> = [];
  for (const ref of refs) if (ref.nodeId !== undefined) out.push(ref as PathRef & { nodeId: string });
  return out;
}

/**
 * Every `nodes.<id>` path names an existing node that is upstream of its reader (so its data is
 * there when the path is read). All the questions are answered in one bulk pass (see `answerUpstreamQueries`).
 * Inside a forEach body a path may also read the nodes the body sees from outside (`ctx.body.visible`);
 * a path to a node inside another body is refused with a message that names that body's forEach.
 */
export function checkNodeReferences(
  ctx: ValidationContext,
  references: readonly NodeReference[],
  declared: ReadonlyMap<string, IdDeclaration> = new Map(),
): void {
  const upstream = answerUpstreamQueries(
    ctx.graph,
    ctx.order,
    references.map((r) => ({ ancestor: r.ref.nodeId, node: r.reader })),
  );
  references.forEach((r, i) => {
    const id = r.ref.nodeId;
    if (!ctx.byId.has(id)) {
      if (ctx.body?.visible.has(id)) return;
      const owner = declared.get(id)?.forEachId;
      let why = 'which does not exist';
      if (owner !== undefined && owner !== ctx.body?.forEachId)
        why = `which is inside the body of forEach "${owner}"; read "${owner}"'s output instead`;
      else if (declared.has(id) && ctx.body)
        why = `which is not upstream of forEach "${ctx.body.forEachId}", so its data may not exist yet`;
      ctx.error(r.pointer, `${r.where} path "${r.ref.text}" reads node "${id}", ${why}`);
      return;
    }
    if (id === r.reader ? r.selfAllowed : upstream[i]) return;
    const why =
      id === r.reader
        ? `node "${id}" cannot read its own ${r.where === 'template' ? 'result in its config' : 'result'}`
        : `node "${id}" is not upstream of "${r.reader}", so its data may not exist yet`;
    ctx.error(r.pointer, `${r.where} path "${r.ref.text}": ${why}`);
  });
}
