/**
 * Series-parallel decomposition of the workflow DAG (the shape of the compiled machine).
 *
 * Theory: on a set S of nodes ordered by reachability (the transitive closure restricted to S),
 * - if the comparability graph is disconnected, S is the parallel composition of its components;
 * - else if the incomparability graph is disconnected, S is the series composition of its
 *   components, which are totally ordered;
 * - else S contains an "N" (a<c, b<c, b<d, a∥d) and is not series-parallel: we add ordering edges
 *   by cutting S into A;B (A downward closed, every a before every b), choosing the cut that adds
 *   the least to the critical path first and then the fewest new ordering pairs.
 * Every set the recursion visits is convex in the DAG, so its order is the reachability of its
 * induced subgraph: components and series cuts are found in O(|S| + E_S) without the closure.
 * The closure (bitsets) is built lazily and used only to count new pairs at an N.
 */

/** The shape of the machine: a node, a sequence, or branches that run side by side. */
export type Structure =
  | { kind: 'node'; id: string }
  | { kind: 'series'; items: Structure[] }
  | { kind: 'parallel'; branches: Structure[] };

export interface StructureInput {
  /** Node ids in declaration order. */
  nodes: readonly string[];
  /** Dependency edges (duplicates allowed). The graph must be acyclic. */
  edges: ReadonlyArray<{ from: string; to: string }>;
  /** Estimated duration of a node (any unit), for the critical path at an N. */
  weight: (id: string) => number;
}

export interface StructureResult {
  tree: Structure;
  /** Ordering edges added at N-shapes, only the covering ones (none implied by others). */
  addedEdges: Array<{ from: string; to: string }>;
}

/** A structure function: the default is `seriesParallelStructure`; benchmarks compare others. */
export type StructureFn = (input: StructureInput) => StructureResult;

const EPSILON = 1e-9;

/**
 * Decomposes a DAG into nested series and parallel compositions, adding the fewest ordering
 * edges that keep the critical path shortest where the DAG is not series-parallel.
 * Deterministic: ties are broken by topological position (declaration order first).
 */
export function seriesParallelStructure(input: StructureInput): StructureResult {
  return new Decomposer(input).run();
}

class Decomposer {
  private readonly n: number;
  /** Node id of each topological position. */
  private readonly ids: string[];
  private readonly parents: number[][];
  private readonly children: number[][];
  private readonly weights: Float64Array;
  private readonly mark: Int32Array;
  private readonly uf: Int32Array;
  private readonly scratch: Int32Array;
  private readonly flags: Uint8Array;
  private stamp = 0;
  private words = 0;
  private anc: Uint32Array | undefined;
  private desc: Uint32Array | undefined;
  readonly added: Array<{ from: number; to: number }> = [];

  constructor(input: StructureInput) {
    const index = new Map<string, number>();
    input.nodes.forEach((id, i) => {
      index.set(id, i);
    });
    const n = input.nodes.length;
    const out: number[][] = Array.from({ length: n }, () => []);
    const indegree = new Int32Array(n);
    const seen = new Set<number>();
    for (const edge of input.edges) {
      const from = index.get(edge.from);
      const to = index.get(edge.to);
      if (from === undefined || to === undefined || from === to) continue;
      const key = from * n + to;
      if (seen.has(key)) continue;
      seen.add(key);
      (out[from] as number[]).push(to);
      indegree[to] = (indegree[to] ?? 0) + 1;
    }
    // Kahn's algorithm with declaration-order ties, then relabel nodes by topological position.
    const order: number[] = [];
    for (let i = 0; i < n; i++) if (indegree[i] === 0) order.push(i);
    for (let k = 0; k < order.length; k++) {
      for (const to of out[order[k] as number] as number[]) {
        indegree[to] = (indegree[to] ?? 0) - 1;
        if (indegree[to] === 0) order.push(to);
      }
    }
    if (order.length !== n) throw new Error('seriesParallelStructure: the graph has a cycle');
    const position = new Int32Array(n);
    order.forEach((declared, pos) => {
      position[declared] = pos;
    });
    this.n = n;
    this.ids = order.map((declared) => input.nodes[declared] as string);
    this.parents = Array.from({ length: n }, () => []);
    this.children = Array.from({ length: n }, () => []);
    this.weights = new Float64Array(n);
    for (let pos = 0; pos < n; pos++) {
      const declared = order[pos] as number;
      this.weights[pos] = input.weight(this.ids[pos] as string);
      for (const to of out[declared] as number[]) {
        const toPos = position[to] as number;
        (this.children[pos] as number[]).push(toPos);
        (this.parents[toPos] as number[]).push(pos);
      }
    }
    for (const list of this.children) list.sort((a, b) => a - b);
    for (const list of this.parents) list.sort((a, b) => a - b);
    this.mark = new Int32Array(n);
    this.uf = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.flags = new Uint8Array(n);
  }

  run(): StructureResult {
    const all = Array.from({ length: this.n }, (_, i) => i);
    const tree = this.n === 0 ? { kind: 'series' as const, items: [] } : this.decompose(all);
    const addedEdges = this.added.map((e) => ({
      from: this.ids[e.from] as string,
      to: this.ids[e.to] as string,
    }));
    return { tree, addedEdges };
  }

  /** `set` is sorted by topological position and convex. */
  private decompose(set: number[]): Structure {
    if (set.length === 1) return { kind: 'node', id: this.ids[set[0] as number] as string };
    const components = this.parallelComponents(set);
    if (components.length > 1) {
      return { kind: 'parallel', branches: components.map((c) => this.decompose(c)) };
    }
    const parts = this.seriesParts(set);
    if (parts.length > 1) return { kind: 'series', items: parts.map((p) => this.decompose(p)) };
    const cut = this.chooseCut(set);
    const items: Structure[] = [];
    for (const half of [cut.a, cut.b]) {
      const sub = this.decompose(half);
      if (sub.kind === 'series') items.push(...sub.items);
      else items.push(sub);
    }
    return { kind: 'series', items };
  }

  private beginSet(set: number[]): number {
    this.stamp++;
    for (const v of set) this.mark[v] = this.stamp;
    return this.stamp;
  }

  private find(v: number): number {
    let root = v;
    while (this.uf[root] !== root) root = this.uf[root] as number;
    let x = v;
    while (this.uf[x] !== root) {
      const next = this.uf[x] as number;
      this.uf[x] = root;
      x = next;
    }
    return root;
  }

  /** Components of the comparability graph: weakly connected components of the induced subgraph. */
  private parallelComponents(set: number[]): number[][] {
    const stamp = this.beginSet(set);
    for (const v of set) this.uf[v] = v;
    for (const v of set) {
      for (const c of this.children[v] as number[]) {
        if (this.mark[c] !== stamp) continue;
        const a = this.find(v);
        const b = this.find(c);
        if (a !== b) {
          if (a < b) this.uf[b] = a;
          else this.uf[a] = b;
        }
      }
    }
    const groups = new Map<number, number[]>();
    for (const v of set) {
      const root = this.find(v);
      let group = groups.get(root);
      if (!group) {
        group = [];
        groups.set(root, group);
      }
      group.push(v);
    }
    return [...groups.values()];
  }

  /**
   * Series components, by sweeping the topological order: the cut after position i (P | Q) is
   * a series cut iff every maximal element of P has an edge to every minimal element of Q
   * (any path between them would pass a node above the maximal one or below the minimal one).
   * The number of such edges is maintained incrementally: O(|S| + E_S).
   */
  private seriesParts(set: number[]): number[][] {
    const stamp = this.beginSet(set);
    const remaining = this.scratch;
    const flags = this.flags; // 1 = maximal in P, 2 = minimal in Q
    for (const v of set) {
      let count = 0;
      for (const p of this.parents[v] as number[]) if (this.mark[p] === stamp) count++;
      remaining[v] = count;
      flags[v] = count === 0 ? 2 : 0;
    }
    let minQ = 0;
    for (const v of set) if (flags[v] === 2) minQ++;
    let maxP = 0;
    let crossing = 0;
    const parts: number[][] = [];
    let start = 0;
    for (let i = 0; i < set.length - 1; i++) {
      const v = set[i] as number;
      flags[v] = 0;
      minQ--;
      for (const p of this.parents[v] as number[]) {
        if (this.mark[p] === stamp && flags[p] === 1) crossing--;
      }
      for (const p of this.parents[v] as number[]) {
        if (this.mark[p] !== stamp || flags[p] !== 1) continue;
        flags[p] = 0;
        maxP--;
        for (const c of this.children[p] as number[]) {
          if (this.mark[c] === stamp && flags[c] === 2) crossing--;
        }
      }
      flags[v] = 1;
      maxP++;
      for (const c of this.children[v] as number[]) {
        if (this.mark[c] !== stamp) continue;
        remaining[c] = (remaining[c] as number) - 1;
        if (remaining[c] !== 0) continue;
        flags[c] = 2;
        minQ++;
        for (const p of this.parents[c] as number[]) {
          if (this.mark[p] === stamp && flags[p] === 1) crossing++;
        }
      }
      if (crossing === maxP * minQ) {
        parts.push(set.slice(start, i + 1));
        start = i + 1;
      }
    }
    for (const v of set) flags[v] = 0;
    parts.push(set.slice(start));
    return parts;
  }

  private ensureClosure(): void {
    if (this.anc) return;
    const n = this.n;
    const words = (n + 31) >>> 5;
    this.words = words;
    const anc = new Uint32Array(n * words);
    const desc = new Uint32Array(n * words);
    for (let v = 0; v < n; v++) {
      const base = v * words;
      for (const p of this.parents[v] as number[]) {
        const pBase = p * words;
        const last = p >>> 5;
        for (let w = 0; w <= last; w++)
          anc[base + w] = (anc[base + w] as number) | (anc[pBase + w] as number);
        anc[base + last] = (anc[base + last] as number) | (1 << (p & 31));
      }
    }
    for (let v = n - 1; v >= 0; v--) {
      const base = v * words;
      for (const c of this.children[v] as number[]) {
        const cBase = c * words;
        const first = c >>> 5;
        for (let w = first; w < words; w++)
          desc[base + w] = (desc[base + w] as number) | (desc[cBase + w] as number);
        desc[base + first] = (desc[base + first] as number) | (1 << (c & 31));
      }
    }
    this.anc = anc;
    this.desc = desc;
  }

  private isAncestor(a: number, b: number): boolean {
    const anc = this.anc as Uint32Array;
    return ((anc[b * this.words + (a >>> 5)] as number) & (1 << (a & 31))) !== 0;
  }

  /** Chooses A;B for a set that is neither parallel nor series decomposable. */
  private chooseCut(set: number[]): { a: number[]; b: number[] } {
    this.ensureClosure();
    const stamp = this.beginSet(set);
    const m = set.length;
    const anc = this.anc as Uint32Array;
    const desc = this.desc as Uint32Array;
    const words = this.words;
    // The set as a bitmask over its word range.
    const lo = (set[0] as number) >>> 5;
    const hi = (set[m - 1] as number) >>> 5;
    const mask = new Uint32Array(hi - lo + 1);
    for (const v of set) mask[(v >>> 5) - lo] = (mask[(v >>> 5) - lo] as number) | (1 << (v & 31));

    const es = new Map<number, number>();
    const tail = new Map<number, number>();
    const gain = new Map<number, number>(); // descendants − ancestors inside the set
    for (const v of set) {
      let start = 0;
      for (const p of this.parents[v] as number[]) {
        if (this.mark[p] !== stamp) continue;
        start = Math.max(start, (es.get(p) as number) + (this.weights[p] as number));
      }
      es.set(v, start);
      let ancCount = 0;
      let descCount = 0;
      const base = v * words;
      const vw = v >>> 5;
      for (let w = lo; w <= vw; w++)
        ancCount += popcount((anc[base + w] as number) & (mask[w - lo] as number));
      for (let w = vw; w <= hi; w++)
        descCount += popcount((desc[base + w] as number) & (mask[w - lo] as number));
      gain.set(v, descCount - ancCount);
    }
    let critical = 0;
    for (let i = m - 1; i >= 0; i--) {
      const v = set[i] as number;
      let after = 0;
      for (const c of this.children[v] as number[]) {
        if (this.mark[c] === stamp) after = Math.max(after, tail.get(c) as number);
      }
      const t = (this.weights[v] as number) + after;
      tail.set(v, t);
      critical = Math.max(critical, (es.get(v) as number) + t);
    }
    const byKey = (key: (v: number) => number) => [...set].sort((x, y) => key(x) - key(y) || x - y);
    const orders = [
      byKey((v) => es.get(v) as number),
      byKey((v) => critical - (tail.get(v) as number)),
      byKey((v) => (es.get(v) as number) + (this.weights[v] as number)),
      set,
    ];
    let best: { makespan: number; pairs: number; order: number[]; size: number } | undefined;
    for (const order of orders) {
      const suffixTail = new Float64Array(m + 1);
      for (let i = m - 1; i >= 0; i--) {
        suffixTail[i] = Math.max(suffixTail[i + 1] as number, tail.get(order[i] as number) as number);
      }
      let prefixFinish = 0;
      let comparable = 0;
      for (let i = 0; i < m - 1; i++) {
        const v = order[i] as number;
        prefixFinish = Math.max(prefixFinish, (es.get(v) as number) + (this.weights[v] as number));
        comparable += gain.get(v) as number;
        const makespan = prefixFinish + (suffixTail[i + 1] as number);
        const pairs = (i + 1) * (m - i - 1) - comparable;
        if (
          !best ||
          makespan < best.makespan - EPSILON ||
          (Math.abs(makespan - best.makespan) <= EPSILON && pairs < best.pairs)
        ) {
          best = { makespan, pairs, order, size: i + 1 };
        }
      }
    }
    const chosen = best as { order: number[]; size: number };
    const inA = new Set(chosen.order.slice(0, chosen.size));
    const a = set.filter((v) => inA.has(v));
    const b = set.filter((v) => !inA.has(v));
    const maximalA = a.filter((v) => !(this.children[v] as number[]).some((c) => inA.has(c)));
    const minimalB = b.filter(
      (v) => !(this.parents[v] as number[]).some((p) => this.mark[p] === stamp && !inA.has(p)),
    );
    for (const from of maximalA) {
      for (const to of minimalB) if (!this.isAncestor(from, to)) this.added.push({ from, to });
    }
    return { a, b };
  }
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Every node id of a structure, in the order the machine lists them (a linear extension). */
export function structureNodes(structure: Structure): string[] {
  const out: string[] = [];
  const visit = (s: Structure): void => {
    if (s.kind === 'node') out.push(s.id);
    else if (s.kind === 'series') s.items.forEach(visit);
    else s.branches.forEach(visit);
  };
  visit(structure);
  return out;
}
