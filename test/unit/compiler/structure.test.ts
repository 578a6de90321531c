import { describe, expect, it } from 'vitest';
import { type Structure, seriesParallelStructure, structureNodes } from '../../../lib/compiler/structure.ts';

const edges = (...pairs: string[]) =>
  pairs.map((p) => {
    const [from, to] = p.split('>') as [string, string];
    return { from, to };
  });
const decompose = (nodes: string[], e: Array<{ from: string; to: string }>, weight = () => 1) =>
  seriesParallelStructure({ nodes, edges: e, weight });

/** A compact text form: a;b for series, (a|b) for parallel. */
function show(s: Structure): string {
  if (s.kind === 'node') return s.id;
  if (s.kind === 'series') return s.items.map(show).join(';');
  return `(${s.branches.map(show).join('|')})`;
}

/** Every original edge is respected: in series order, or inside the same branch. */
function respects(tree: Structure, e: Array<{ from: string; to: string }>): boolean {
  const position = new Map<string, number[]>();
  const walk = (s: Structure, path: number[]): void => {
    if (s.kind === 'node') position.set(s.id, path);
    else if (s.kind === 'series') {
      for (const [i, item] of s.items.entries()) walk(item, [...path, i]);
    } else {
      for (const [i, branch] of s.branches.entries()) walk(branch, [...path, -1 - i]);
    }
  };
  walk(tree, []);
  return e.every(({ from, to }) => {
    const a = position.get(from) as number[];
    const b = position.get(to) as number[];
    let k = 0;
    while (a[k] === b[k]) k++;
    // First difference: both are series positions (from earlier), else they are in parallel branches.
    return (a[k] as number) >= 0 && (b[k] as number) >= 0 && (a[k] as number) < (b[k] as number);
  });
}

describe('seriesParallelStructure', () => {
  it('keeps a chain flat: one series of single nodes', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) => `n${i}`);
    const result = decompose(
      nodes,
      nodes.slice(1).map((id, i) => ({ from: `n${i}`, to: id })),
    );
    expect(result.tree.kind).toBe('series');
    expect((result.tree as { items: Structure[] }).items).toHaveLength(5000);
    expect(result.addedEdges).toEqual([]);
  });

  it('finds nested series and parallel compositions exactly', () => {
    const { tree, addedEdges } = decompose(
      ['s', 'a', 'b', 'c', 'd', 'e', 'x'],
      edges('s>a', 's>b', 'a>c', 'b>c', 'c>d', 'c>e', 's>x'),
    );
    expect(show(tree)).toBe('s;((a|b);c;(d|e)|x)');
    expect(addedEdges).toEqual([]);
  });

  it('splits independent graphs into parallel branches', () => {
    expect(show(decompose(['a', 'b', 'c', 'd'], edges('a>b', 'c>d')).tree)).toBe('(a;b|c;d)');
  });

  it('resolves an N with one covering edge and keeps the critical path', () => {
    // a→c, a→d, b→d: adding a→b (or b→a) makes it series-parallel.
    const { tree, addedEdges } = decompose(['a', 'b', 'c', 'd'], edges('a>c', 'a>d', 'b>d'));
    expect(addedEdges).toHaveLength(1);
    const all = [...edges('a>c', 'a>d', 'b>d'), ...addedEdges];
    expect(respects(tree, all)).toBe(true);
    expect(structureNodes(tree).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('prefers the cut that does not lengthen the critical path', () => {
    // a is long (10), the rest short (1): b→a would make the longest path 12; (a|b);(c|d) adds
    // only b→c and keeps it at 11.
    const weight = (id: string) => (id === 'a' ? 10 : 1);
    const { tree, addedEdges } = seriesParallelStructure({
      nodes: ['a', 'b', 'c', 'd'],
      edges: edges('a>c', 'a>d', 'b>d'),
      weight,
    });
    expect(addedEdges).toEqual([{ from: 'b', to: 'c' }]);
    expect(show(tree)).toBe('(a|b);(c|d)');
  });

  it('respects every dependency of random DAGs and is deterministic', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 40; round++) {
      const n = 2 + Math.floor(random() * 60);
      const nodes = Array.from({ length: n }, (_, i) => `n${i}`);
      const e: Array<{ from: string; to: string }> = [];
      for (let i = 1; i < n; i++) {
        for (let k = 0; k < 3; k++)
          if (random() < 0.5) e.push({ from: `n${Math.floor(random() * i)}`, to: `n${i}` });
      }
      const result = decompose(nodes, e);
      expect(structureNodes(result.tree).sort()).toEqual([...nodes].sort());
      expect(respects(result.tree, e)).toBe(true);
      expect(decompose(nodes, e)).toEqual(result);
      // Reported edges are new (not original edges) and the structure respects them too.
      const original = new Set(e.map((x) => `${x.from}>${x.to}`));
      for (const added of result.addedEdges) expect(original.has(`${added.from}>${added.to}`)).toBe(false);
      expect(respects(result.tree, result.addedEdges)).toBe(true);
    }
  });

  it('refuses a cycle', () => {
    expect(() => decompose(['a', 'b'], edges('a>b', 'b>a'))).toThrow(/cycle/);
  });
});
