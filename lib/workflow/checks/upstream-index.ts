import { type Graph, reachableFrom } from '../graph/index.ts';

/** One question "is `ancestor` upstream of `node`?" (a path of edges leads from `ancestor` to `node`). */
export interface UpstreamQuery {
  ancestor: string;
  node: string;
}

/**
 * Answers upstream queries in bulk, in the order given (false for unknown nodes and for `ancestor === node`).
 *
 * On a DAG (`order` given): the queried ancestors are sorted by topological position and taken 32 at
 * a time; one pass over the positions from the first ancestor of the group to the last node asked
 * about carries, per node, a 32-bit mask of the group's ancestors above it. Every query is answered
 * exactly, with no search per query. A pass only spans the part of the order between the group's
 * ancestors and their readers, so local references (the usual case) cost about O(V + E) in total;
 * the worst case is O((V + E) · R / 32) for R distinct ancestors, on typed arrays.
 * On a cyclic graph (already an error): the descendants of each ancestor, computed once when needed.
 */
export function answerUpstreamQueries(
  graph: Graph,
  order: readonly string[] | undefined,
  queries: readonly UpstreamQuery[],
): boolean[] {
  if (queries.length === 0) return [];
  if (!order) return cyclicAnswers(graph, queries);

  const position = new Map<string, number>();
  for (let i = 0; i < order.length; i++) position.set(order[i] as string, i);
  // Parents by position, as compressed rows (CSR): parents of p are parentList[start[p] .. start[p + 1]).
  const start = new Int32Array(order.length + 1);
  for (let p = 0; p < order.length; p++)
    start[p + 1] = (start[p] as number) + (graph.incoming.get(order[p] as string)?.length ?? 0);
  const parentList = new Int32Array(start[order.length] as number);
  for (let p = 0; p < order.length; p++) {
    let k = start[p] as number;
    for (const edge of graph.incoming.get(order[p] as string) ?? [])
      parentList[k++] = position.get(edge.from) as number;
  }

  // Distinct ancestors by position, each with the readers asking about it.
  const answers = new Array<boolean>(queries.length).fill(false);
  const byAncestor = new Map<number, Array<{ query: number; reader: number }>>();
  queries.forEach((q, i) => {
    const a = position.get(q.ancestor);
    const r = position.get(q.node);
    // An ancestor always comes before its descendants in a topological order.
    if (a === undefined || r === undefined || a >= r) return;
    const list = byAncestor.get(a);
    if (list) list.push({ query: i, reader: r });
    else byAncestor.set(a, [{ query: i, reader: r }]);
  });
  const ancestors = [...byAncestor.keys()].sort((x, y) => x - y);
  const mask = new Int32Array(order.length);
  const bitAt = new Int32Array(order.length);
  for (let g = 0; g < ancestors.length; g += 32) {
    const group = ancestors.slice(g, g + 32);
    const lo = group[0] as number;
    let hi = lo;
    group.forEach((a, bit) => {
      bitAt[a] = 1 << bit;
      for (const { reader } of byAncestor.get(a) ?? []) if (reader > hi) hi = reader;
    });
    for (let p = lo; p <= hi; p++) {
      let m = 0;
      for (let k = start[p] as number, end = start[p + 1] as number; k < end; k++) {
        const parent = parentList[k] as number;
        if (parent >= lo) m |= (mask[parent] as number) | (bitAt[parent] as number);
      }
      mask[p] = m;
    }
    group.forEach((a, bit) => {
      for (const { query, reader } of byAncestor.get(a) ?? [])
        answers[query] = (((mask[reader] as number) >>> bit) & 1) === 1;
    });
    for (const a of group) bitAt[a] = 0;
  }
  return answers;
}

function cyclicAnswers(graph: Graph, queries: readonly UpstreamQuery[]): boolean[] {
  const memo = new Map<string, Set<string>>();
  return queries.map(({ ancestor, node }) => {
    if (ancestor === node) return false;
    let below = memo.get(ancestor);
    if (!below) {
      below = reachableFrom(
        graph,
        (graph.outgoing.get(ancestor) ?? []).map((edge) => edge.to),
      );
      memo.set(ancestor, below);
    }
    return below.has(node);
  });
}
