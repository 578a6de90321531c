/** A subflow node of a definition, forEach bodies included, with its JSON pointer. */
export interface SubflowRef {
  pointer: string;
  config: { flowId: string; version?: number };
}

type NodeLike = { type?: unknown; operation?: unknown; config?: unknown };

/** Every subflow node of a definition (nested forEach bodies too), with where it is. */
export function subflowRefs(definition: { nodes: readonly unknown[] }, base = ''): SubflowRef[] {
  const refs: SubflowRef[] = [];
  definition.nodes.forEach((raw, index) => {
    const node = raw as NodeLike;
    const pointer = `${base}/nodes/${index}`;
    const config = (node.config ?? {}) as Record<string, unknown>;
    if (node.type !== 'operation') return;
    if (node.operation === 'subflow' && typeof config.flowId === 'string') {
      refs.push({ pointer, config: config as SubflowRef['config'] });
    } else if (node.operation === 'forEach' && Array.isArray(config.nodes)) {
      refs.push(...subflowRefs({ nodes: config.nodes }, `${pointer}/config`));
    }
  });
  return refs;
}
