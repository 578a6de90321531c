/** Small definition builders shared by the workflow tests. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type NodeInput = { [key: string]: Json };

/** A manual trigger `start` followed by `nodes` (each a log action unless it says otherwise). */
export function definition(nodes: NodeInput[], connections?: Json[]): { [key: string]: Json } {
  const out: { [key: string]: Json } = {
    name: 'test',
    nodes: [{ id: 'start', type: 'trigger', trigger: 'manual' }, ...nodes],
  };
  if (connections) out.connections = connections;
  return out;
}

/** A log action node. */
export function log(id: string, dependencies: string[] = ['start'], extra: NodeInput = {}): NodeInput {
  return { id, type: 'action', action: 'log', config: { message: `node ${id}` }, dependencies, ...extra };
}
