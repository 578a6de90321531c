/**
 * Series-parallel decomposition of the workflow DAG (the shape of the compiled machine).
 *
 * Theory: on a set S of nodes ordered by reachability (the transitive closure restricted to S),
 * - if the comparability graph is disconnected, S is the parallel composition of its components;
 * - else if the incomparability graph is disconnected, S is the series composition of its
 *   components, which are totally ordered;
 * - else S contains an "N" (a<c, b<c, b<d, a∥d) and is not series-parallel: we add ordering edges
 *   by cutting S into A;B (A downward closed, every a before every b), choosing the cut that adds
 *   the least to the critical path first, then the one with the shortest expected makespan when
 *   durations vary (below), then the fewest added covering edges (the reported list; a proxy for
 *   new ordered pairs, which would need the closure), then the most balanced. At an N of at most
 *   LOOKAHEAD_NODES nodes, the first LOOKAHEAD_CUTS cuts of that order are each decomposed to the
 *   end, and the one whose whole structure has the shortest critical path (then expected
 *   makespan) wins: the greedy scores see only the two sides' longest paths, not the cuts the
 *   sides will need themselves.
 * Why the expected makespan: weights are estimates (without measured durations every action weighs
 * the same), so many cuts tie on the critical path, yet under real durations some delay the run
 * far more than others. Each node's duration is modelled as a normal variable with mean its weight
 * and standard deviation half of it; the longest path to (from) each node and the maximum over a
 * cut's side are folded with Clark's approximation of the maximum of two normal variables (C. E.
 * Clark, "The greatest of a finite set of random variables", Operations Research 9, 1961). In
 * bench/compiler.bench.ts this and the lookahead take the no-hint makespan of random N-shaped DAGs
 * from 1.09 to 1.02 times the critical path (median, model; worst 1.31 to 1.24), and measured
 * weights (duration hints) to 1.00 (worst 1.07).
 * Every set the recursion visits is convex in the DAG, so its order is the reachability of its
 * induced subgraph: components and series cuts are found in O(|S| + E_S) without the closure.
 * Cost: O(V + E) per recursion level; a DAG that needs many nested cuts (long, narrow, far from
 * series-parallel) costs O(V · cuts) — measured in bench/compiler.bench.ts.
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
  /** Estimated duration of a node (any unit, >= 0), for the critical path at an N. */
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
/** Standard deviation of a node's duration over its mean, in the expected-makespan model. */
const SPREAD = 0.5;
/**
 * Lookahead at an N of at most this many nodes: the best few cuts are each tried to the end
 * (both sides decomposed, their own cuts included) and the one whose whole structure runs
 * shortest wins. Bounded so that a large DAG stays O(V · cuts) with a small constant.
 */
const LOOKAHEAD_NODES = 64;
const LOOKAHEAD_CUTS = 4;

/** A candidate cut: the prefix `order[0..at]` of a linear extension, and how it scores. */
interface Cut {
  order: number[];
  at: number;
  makespan: number;
  expected: number;
  covers: number;
}

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
  /** CSR adjacency by topological position: parents of v are pList[pStart[v] … pStart[v+1]). */
  private readonly pStart: Int32Array;
  private readonly pList: Int32Array;
  private readonly cStart: Int32Array;
  private readonly cList: Int32Array;
  private readonly weights: Float64Array;
  private readonly mark: Int32Array;
  private readonly uf: Int32Array;
  private readonly remaining: Int32Array;
  private readonly flags: Uint8Array;
  private readonly es: Float64Array;
  private readonly tail: Float64Array;
  /** Mean and variance of the longest path ending at (finish*) and starting at (tail*) a node. */
  private readonly finishMean: Float64Array;
  private readonly finishVar: Float64Array;
  private readonly tailMean: Float64Array;
  private readonly tailVar: Float64Array;
  private covers: Int32Array;
  private stamp = 0;
  /** > 0 while a lookahead decomposes a candidate's sides (no nested lookahead there). */
  private trying = 0;
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
      indegree[to] = (indegree[to] as number) + 1;
    }
    // Kahn's algorithm with declaration-order ties, then relabel nodes by topological position.
    const order: number[] = [];
    for (let i = 0; i < n; i++) if (indegree[i] === 0) order.push(i);
    for (let k = 0; k < order.length; k++) {
      for (const to of out[order[k] as number] as number[]) {
        indegree[to] = (indegree[to] as number) - 1;
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
    const children: number[][] = Array.from({ length: n }, () => []);
    const parents: number[][] = Array.from({ length: n }, () => []);
    this.weights = new Float64Array(n);
    for (let pos = 0; pos < n; pos++) {
      const declared = order[pos] as number;
      this.weights[pos] = input.weight(this.ids[pos] as string);
      for (const to of out[declared] as number[]) {
        const toPos = position[to] as number;
        (children[pos] as number[]).push(toPos);
        (parents[toPos] as number[]).push(pos);
      }
    }
    const csr = (lists: number[][]): [Int32Array, Int32Array] => {
      const start = new Int32Array(n + 1);
      for (let v = 0; v < n; v++) start[v + 1] = (start[v] as number) + (lists[v] as number[]).length;
      const list = new Int32Array(start[n] as number);
      for (let v = 0; v < n; v++)
        list.set(
          (lists[v] as number[]).sort((a, b) => a - b),
          start[v] as number,
        );
      return [start, list];
    };
    [this.pStart, this.pList] = csr(parents);
    [this.cStart, this.cList] = csr(children);
    this.mark = new Int32Array(n);
    this.uf = new Int32Array(n);
    this.remaining = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.es = new Float64Array(n);
    this.tail = new Float64Array(n);
    this.finishMean = new Float64Array(n);
    this.finishVar = new Float64Array(n);
    this.tailMean = new Float64Array(n);
    this.tailVar = new Float64Array(n);
    this.covers = new Int32Array(n);
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
    const items: Structure[] = [];
    for (const part of this.chooseCuts(set)) {
      const sub = this.decompose(part);
      if (sub.kind === 'series') items.push(...sub.items);
      else items.push(sub);
    }
    return { kind: 'series', items };
  }

  private beginSet(set: number[]): number {
    this.stamp++;
    const mark = this.mark;
    for (let i = 0; i < set.length; i++) mark[set[i] as number] = this.stamp;
    return this.stamp;
  }

  private find(v: number): number {
    const uf = this.uf;
    let root = v;
    while (uf[root] !== root) root = uf[root] as number;
    let x = v;
    while (uf[x] !== root) {
      const next = uf[x] as number;
      uf[x] = root;
      x = next;
    }
    return root;
  }

  /** Components of the comparability graph: weakly connected components of the induced subgraph. */
  private parallelComponents(set: number[]): number[][] {
    const stamp = this.beginSet(set);
    const { mark, uf, cStart, cList } = this;
    for (let i = 0; i < set.length; i++) uf[set[i] as number] = set[i] as number;
    let merges = 0;
    for (let i = 0; i < set.length; i++) {
      const v = set[i] as number;
      for (let k = cStart[v] as number; k < (cStart[v + 1] as number); k++) {
        const c = cList[k] as number;
        if (mark[c] !== stamp) continue;
        const a = this.find(v);
        const b = this.find(c);
        if (a !== b) {
          merges++;
          if (a < b) uf[b] = a;
          else uf[a] = b;
        }
      }
    }
    if (merges === set.length - 1) return [set];
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
   */
  private seriesParts(set: number[]): number[][] {
    const stamp = this.beginSet(set);
    const covers = this.sweep(set, stamp);
    const parts: number[][] = [];
    let start = 0;
    for (let i = 0; i < set.length - 1; i++) {
      if (covers[i] !== 0) continue;
      parts.push(set.slice(start, i + 1));
      start = i + 1;
    }
    parts.push(set.slice(start));
    return parts;
  }

  /**
   * Chooses A;B for a set that is neither parallel nor series decomposable. Candidates are the
   * prefixes of four linear extensions (by earliest start, by latest start, and the same two by
   * the expected longest paths); a cut's makespan is the longest path ending in A plus the longest
   * path starting in B, and its expected makespan the same sum over the normal model (Clark's
   * maximum folded along the order: over every node of A, which is close to the maximum over A's
   * maximal nodes because a node's path is dominated by its successor's). Among the cuts that add
   * least to the critical path, the shortest expected makespan wins, then the fewest covering
   * edges: pairs (a, b) with a maximal in A, b minimal in B and no edge a→b (such a pair is
   * ordered only by a direct edge, so these are exactly the edges to add and none is implied by
   * the others). All are computed along each order in O(|S| log |S| + E_S), without the
   * transitive closure. Returns [A, B].
   */
  private chooseCuts(set: number[]): number[][] {
    const stamp = this.beginSet(set);
    const { mark, es, tail, pStart, pList, cStart, cList } = this;
    const { finishMean, finishVar, tailMean, tailVar } = this;
    const w = this.weights;
    const m = set.length;
    const moment: [number, number] = [0, 0];
    for (let i = 0; i < m; i++) {
      const v = set[i] as number;
      let start = 0;
      let any = false;
      for (let k = pStart[v] as number; k < (pStart[v + 1] as number); k++) {
        const p = pList[k] as number;
        if (mark[p] !== stamp) continue;
        start = Math.max(start, (es[p] as number) + (w[p] as number));
        if (any) clarkMax(moment, finishMean[p] as number, finishVar[p] as number);
        else [moment[0], moment[1], any] = [finishMean[p] as number, finishVar[p] as number, true];
      }
      es[v] = start;
      const own = w[v] as number;
      finishMean[v] = (any ? moment[0] : 0) + own;
      finishVar[v] = (any ? moment[1] : 0) + (SPREAD * own) ** 2;
    }
    for (let i = m - 1; i >= 0; i--) {
      const v = set[i] as number;
      let after = 0;
      let any = false;
      for (let k = cStart[v] as number; k < (cStart[v + 1] as number); k++) {
        const c = cList[k] as number;
        if (mark[c] !== stamp) continue;
        after = Math.max(after, tail[c] as number);
        if (any) clarkMax(moment, tailMean[c] as number, tailVar[c] as number);
        else [moment[0], moment[1], any] = [tailMean[c] as number, tailVar[c] as number, true];
      }
      const own = w[v] as number;
      tail[v] = own + after;
      tailMean[v] = (any ? moment[0] : 0) + own;
      tailVar[v] = (any ? moment[1] : 0) + (SPREAD * own) ** 2;
    }
    const orders = [
      sortByKey(set, es, 1),
      sortByKey(set, tail, -1),
      sortByKey(set, finishMean, 1),
      sortByKey(set, tailMean, -1),
    ];
    const lookahead = this.trying === 0 && m <= LOOKAHEAD_NODES;
    const candidates: Cut[] = [];
    let best: Cut | undefined;
    const suffixTail = new Float64Array(m + 1);
    const suffixExpected = new Float64Array(m + 1);
    for (const order of orders) {
      for (let i = m - 1; i >= 0; i--) {
        const v = order[i] as number;
        suffixTail[i] = Math.max(suffixTail[i + 1] as number, tail[v] as number);
        if (i === m - 1) [moment[0], moment[1]] = [tailMean[v] as number, tailVar[v] as number];
        else clarkMax(moment, tailMean[v] as number, tailVar[v] as number);
        suffixExpected[i] = moment[0];
      }
      const covers = this.sweep(order, stamp);
      let prefixFinish = 0;
      const prefix: [number, number] = [0, 0];
      for (let i = 0; i < m - 1; i++) {
        const v = order[i] as number;
        prefixFinish = Math.max(prefixFinish, (es[v] as number) + (w[v] as number));
        if (i === 0) [prefix[0], prefix[1]] = [finishMean[v] as number, finishVar[v] as number];
        else clarkMax(prefix, finishMean[v] as number, finishVar[v] as number);
        const makespan = prefixFinish + (suffixTail[i + 1] as number);
        const expected = prefix[0] + (suffixExpected[i + 1] as number);
        const cut: Cut = { order, at: i, makespan, expected, covers: covers[i] as number };
        if (lookahead) candidates.push(cut);
        if (!best || betterCut(cut, best, m)) best = cut;
      }
    }
    let chosen = best as Cut;
    let current = stamp;
    if (lookahead) {
      chosen = this.lookahead(set, candidates);
      current = this.beginSet(set);
    }
    const partOf = this.remaining;
    for (let i = 0; i < m; i++) partOf[chosen.order[i] as number] = i <= chosen.at ? 0 : 1;
    const parts: number[][] = [[], []];
    for (const v of set) (parts[partOf[v] as number] as number[]).push(v);
    for (let k = 0; k + 1 < parts.length; k++) {
      const upper = parts[k] as number[];
      const lower = parts[k + 1] as number[];
      const maximal = upper.filter((v) => {
        for (let j = cStart[v] as number; j < (cStart[v + 1] as number); j++) {
          const c = cList[j] as number;
          if (mark[c] === current && partOf[c] === k) return false;
        }
        return true;
      });
      const minimal = lower.filter((v) => {
        for (let j = pStart[v] as number; j < (pStart[v + 1] as number); j++) {
          const p = pList[j] as number;
          if (mark[p] === current && partOf[p] === k + 1) return false;
        }
        return true;
      });
      for (const from of maximal) {
        for (const to of minimal) {
          let direct = false;
          for (let j = cStart[from] as number; j < (cStart[from + 1] as number); j++)
            if (cList[j] === to) direct = true;
          if (!direct) this.added.push({ from, to });
        }
      }
    }
    return parts;
  }

  /**
   * The best of the first LOOKAHEAD_CUTS distinct cuts (in `betterCut` order) once each is
   * decomposed to the end: shortest critical path, then shortest expected makespan, then the
   * earlier candidate. Leaves the marks and the added edges as they were before.
   */
  private lookahead(set: number[], candidates: Cut[]): Cut {
    const m = set.length;
    candidates.sort((a, b) => (betterCut(a, b, m) ? -1 : betterCut(b, a, m) ? 1 : 0));
    const inA = this.flags;
    const seen = new Set<string>();
    let chosen = candidates[0] as Cut;
    let best: { critical: number; expected: number } | undefined;
    for (const cut of candidates) {
      if (seen.size === LOOKAHEAD_CUTS) break;
      const a = cut.order.slice(0, cut.at + 1).sort((x, y) => x - y);
      const key = a.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      for (const v of a) inA[v] = 1;
      const b = set.filter((v) => inA[v] !== 1);
      for (const v of a) inA[v] = 0;
      const added = this.added.length;
      this.trying++;
      const score = this.score({ kind: 'series', items: [this.decompose(a), this.decompose(b)] });
      this.trying--;
      this.added.length = added;
      if (
        !best ||
        score.critical < best.critical - EPSILON ||
        (score.critical <= best.critical + EPSILON &&
          score.expected < best.expected - EPSILON * Math.max(1, score.expected))
      ) {
        best = { critical: score.critical, expected: score.expected };
        chosen = cut;
      }
    }
    return chosen;
  }

  /** Critical path under the weights, and mean and variance of the makespan in the normal model. */
  private score(structure: Structure): { critical: number; expected: number; variance: number } {
    if (structure.kind === 'node') {
      const w = this.weights[this.positionOf(structure.id)] as number;
      return { critical: w, expected: w, variance: (SPREAD * w) ** 2 };
    }
    if (structure.kind === 'series') {
      const total = { critical: 0, expected: 0, variance: 0 };
      for (const item of structure.items) {
        const s = this.score(item);
        total.critical += s.critical;
        total.expected += s.expected;
        total.variance += s.variance;
      }
      return total;
    }
    let critical = 0;
    const moment: [number, number] = [0, 0];
    structure.branches.forEach((branch, i) => {
      const s = this.score(branch);
      critical = Math.max(critical, s.critical);
      if (i === 0) [moment[0], moment[1]] = [s.expected, s.variance];
      else clarkMax(moment, s.expected, s.variance);
    });
    return { critical, expected: moment[0], variance: moment[1] };
  }

  private positions: Map<string, number> | undefined;
  private positionOf(id: string): number {
    this.positions ??= new Map(this.ids.map((name, i) => [name, i]));
    return this.positions.get(id) as number;
  }

  /**
   * Walks a linear extension of the (marked) set; `result[i]` is the number of covering pairs
   * the cut after position i lacks: |max P|·|min Q| minus the edges between them. It is 0
   * exactly at series cuts. Maintained incrementally: O(|S| + E_S).
   */
  private sweep(order: number[], stamp: number): Int32Array {
    const { mark, remaining, flags, pStart, pList, cStart, cList } = this;
    const m = order.length;
    if (this.covers.length < m) this.covers = new Int32Array(m);
    const result = this.covers;
    // flags: 1 = maximal in P, 2 = minimal in Q
    let minQ = 0;
    for (let i = 0; i < m; i++) {
      const v = order[i] as number;
      let count = 0;
      for (let k = pStart[v] as number; k < (pStart[v + 1] as number); k++) {
        if (mark[pList[k] as number] === stamp) count++;
      }
      remaining[v] = count;
      flags[v] = count === 0 ? 2 : 0;
      if (count === 0) minQ++;
    }
    let maxP = 0;
    let crossing = 0;
    for (let i = 0; i < m - 1; i++) {
      const v = order[i] as number;
      flags[v] = 0;
      minQ--;
      for (let k = pStart[v] as number; k < (pStart[v + 1] as number); k++) {
        const p = pList[k] as number;
        if (mark[p] === stamp && flags[p] === 1) crossing--;
      }
      for (let k = pStart[v] as number; k < (pStart[v + 1] as number); k++) {
        const p = pList[k] as number;
        if (mark[p] !== stamp || flags[p] !== 1) continue;
        flags[p] = 0;
        maxP--;
        for (let j = cStart[p] as number; j < (cStart[p + 1] as number); j++) {
          const c = cList[j] as number;
          if (mark[c] === stamp && flags[c] === 2) crossing--;
        }
      }
      flags[v] = 1;
      maxP++;
      for (let k = cStart[v] as number; k < (cStart[v + 1] as number); k++) {
        const c = cList[k] as number;
        if (mark[c] !== stamp) continue;
        remaining[c] = (remaining[c] as number) - 1;
        if (remaining[c] !== 0) continue;
        flags[c] = 2;
        minQ++;
        for (let j = pStart[c] as number; j < (pStart[c + 1] as number); j++) {
          const p = pList[j] as number;
          if (mark[p] === stamp && flags[p] === 1) crossing++;
        }
      }
      result[i] = maxP * minQ - crossing;
    }
    for (let i = 0; i < m; i++) flags[order[i] as number] = 0;
    return result;
  }
}

/**
 * `set` (ascending positions) sorted by `key[v]` (ascending, or descending with sign -1), ties
 * by position — with native numeric sorts only: keys are ranked, then (rank, position) pairs are
 * packed into one float each. A comparator sort costs ~1 µs per element here.
 */
function sortByKey(set: readonly number[], key: Float64Array, sign: 1 | -1): number[] {
  const m = set.length;
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = sign * (key[set[i] as number] as number);
  const distinct = Float64Array.from(new Set(values)).sort();
  const rank = new Map<number, number>();
  distinct.forEach((value, i) => {
    rank.set(value, i);
  });
  const packed = new Float64Array(m);
  for (let i = 0; i < m; i++) packed[i] = (rank.get(values[i] as number) as number) * m + i;
  packed.sort();
  const out = new Array<number>(m);
  for (let i = 0; i < m; i++) out[i] = set[(packed[i] as number) % m] as number;
  return out;
}

/**
 * The greedy order of cuts: least critical path, then least expected makespan, then fewest
 * covering edges, then the most balanced (it keeps the recursion shallow: O(n log n) instead of
 * peeling one level at a time).
 */
function betterCut(a: Cut, b: Cut, m: number): boolean {
  if (a.makespan < b.makespan - EPSILON) return true;
  if (a.makespan > b.makespan + EPSILON) return false;
  const tolerance = EPSILON * Math.max(1, a.expected);
  if (a.expected < b.expected - tolerance) return true;
  if (a.expected > b.expected + tolerance) return false;
  if (a.covers !== b.covers) return a.covers < b.covers;
  return Math.abs(2 * a.at + 2 - m) < Math.abs(2 * b.at + 2 - m);
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The standard normal cumulative distribution (Abramowitz & Stegun 26.2.17, error < 7.5e-8). */
function normalCdf(x: number, density: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const tail =
    density *
    t *
    (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return x >= 0 ? 1 - tail : tail;
}

/**
 * Clark's moments of max(X, Y) for independent normal X = (mean, variance) in `acc` and
 * Y = (mean, variance): overwrites `acc` with the maximum's mean and variance.
 */
function clarkMax(acc: [number, number], mean: number, variance: number): void {
  const [m1, v1] = acc;
  const spread = Math.sqrt(v1 + variance);
  const alpha = spread === 0 ? Number.POSITIVE_INFINITY : (m1 - mean) / spread;
  // Both fixed, or 8 standard deviations apart: the maximum is the larger one (the other's
  // weight is < 1e-15).
  if (!(Math.abs(alpha) < 8)) {
    if (mean > m1) [acc[0], acc[1]] = [mean, variance];
    return;
  }
  const density = Math.exp(-0.5 * alpha * alpha) * INV_SQRT_2PI;
  const p = normalCdf(alpha, density);
  const q = 1 - p;
  const mu = m1 * p + mean * q + spread * density;
  const second = (m1 * m1 + v1) * p + (mean * mean + variance) * q + (m1 + mean) * spread * density;
  acc[0] = mu;
  acc[1] = Math.max(0, second - mu * mu);
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
