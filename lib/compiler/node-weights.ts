import type { WorkflowNode } from '../workflow/definition-schema.ts';
import { attemptSeconds } from './report.ts';

/**
 * The weight of each node (seconds) with which the structure chooses its cuts at N-shapes
 * (lib/compiler/structure.ts). Without hints a node weighs one attempt's worst case: an action
 * its timeout (every action alike by default), a delay its seconds, a pass 0, an unbounded wait 0.
 *
 * With duration hints (node id → measured p50 in ms, from the flow's recent runs), a hinted node
 * weighs its p50 and an action without one (new since those runs, or never reached) weighs the
 * median of the actions' hints, so that measured and default weights are never compared; other
 * nodes keep their weight. Hints that are not finite numbers >= 0, or name no node, are ignored,
 * and so are all of them when no action has one: a hint can only reorder cuts, never change what
 * runs.
 */
export function nodeWeights(
  nodes: readonly WorkflowNode[],
  hints: Readonly<Record<string, number>> | undefined,
): (id: string) => number {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const plain = (id: string) => {
    const seconds = attemptSeconds(byId.get(id) as WorkflowNode);
    return Number.isFinite(seconds) ? seconds : 0;
  };
  const measured = new Map<string, number>();
  for (const node of nodes) {
    const ms = hints && Object.hasOwn(hints, node.id) ? hints[node.id] : undefined;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) measured.set(node.id, ms / 1000);
  }
  const sorted = [...measured]
    .filter(([id]) => byId.get(id)?.type === 'action')
    .map(([, seconds]) => seconds)
    .sort((a, b) => a - b);
  if (sorted.length === 0) return plain;
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return (id) => {
    const seconds = measured.get(id);
    if (seconds !== undefined) return seconds;
    return byId.get(id)?.type === 'action' ? median : plain(id);
  };
}
