import type { Structure } from './structure.ts';

/**
 * Where each node's record lives in the machine's state (STATE-DESIGN §2: the state carries only
 * what later states read).
 *
 * The state holds records in a few containers, `nodes`, `nodes1`, `nodes2`, … ("slots"), each an
 * object `{ <nodeId>: record }` that the writing state replaces whole (a Task's ResultSelector
 * builds `{ <id>: { status, output } }` and its ResultPath is the container). So a record stays
 * in the state exactly until another record is written into its slot, and the compiler gives a
 * slot to a new record only when no later state reads what the slot holds: register allocation
 * over the series-parallel structure. The number of slots is the largest number of records read
 * later at one point (plus what parallel branches return), not the number of nodes, so the state,
 * and the cost of each transition, stays flat as the DAG grows. Every record still appears in the
 * output of the state that wrote it, which is what the record builders read.
 *
 * Readers are known at compile time: templates and conditions name the nodes they read, guards
 * read their sources' statuses, transform reads the nodes its expression names (all upstream nodes
 * when it cannot tell), compensations read the status and templates at the end of a failing run.
 *
 * Parallel branches each work on their own copy of the state. At the join, the Parallel's
 * ResultSelector takes each slot still read after the join from the branch that wrote it (from the
 * first branch when no branch did) and drops the others (or resets them to `{}` where a later
 * join needs the slot to exist, see `planEmptiedSlots` in compile.ts) — no intrinsic functions, so
 * any number of branches joins within Step Functions' limit of 10 nested intrinsics per field. Two
 * records that leave different branches never share a slot.
 */

/** A reader that runs after every node: the failure path (compensations). */
export const AFTER_ALL = ':end';

export interface SlotPlan {
  /** The slot of every node's record. */
  slotOf: ReadonlyMap<string, number>;
  /** How many slots the state has (all exist at the start, as `{}`). */
  slotCount: number;
  /** For each Parallel: the slots read after its join, each with the branch whose copy to take. */
  joins: ReadonlyMap<Structure, ReadonlyArray<{ slot: number; branch: number }>>;
  /** True when node `b` runs after node `a` has finished in every run (so `b` sees `a`'s record). */
  precedes(a: string, b: string): boolean;
  /**
   * Records kept in the parking slot (the last slot, when there is one): records that would pass
   * through joins in a slot of their own. Their states add the record to the slot
   * (`ResultPath: $.<slot>.<id>`) instead of replacing it, so one container passes every join.
   */
  parked: ReadonlySet<string>;
  parkingSlot?: number;
  /** For each Parallel: the branches that park a record (the join merges their parking slots). */
  parkedWriters: ReadonlyMap<Structure, readonly number[]>;
}

/** Most branches whose parking slots one join merges: 10 nested States.JsonMerge. */
const MAX_PARKED_WRITERS = 11;
/** A record is parked when a slot of its own would pass through at least this many joins. */
const PARK_AFTER_JOINS = 2;

/** Name of slot `k` in the state: `nodes`, `nodes1`, `nodes2`, … */
export function slotName(slot: number): string {
  return slot === 0 ? 'nodes' : `nodes${slot}`;
}

type Position = ReadonlyArray<{ container: Structure; index: number }>;

/**
 * Assigns a slot to every node's record. `readers(id)` lists the nodes (or {@link AFTER_ALL}) that
 * read node `id`'s record; readers that do not run after the writer are ignored (validation only
 * lets a node read its upstream nodes).
 */
export function planSlots(
  tree: Structure,
  readers: (id: string) => Iterable<string>,
  options: { park?: boolean } = {},
): SlotPlan {
  const positions = new Map<Structure | string, Position>();
  const branchNodes = new Map<Structure, Set<string>>();
  const place = (s: Structure, position: Position): Set<string> => {
    positions.set(s, position);
    if (s.kind === 'node') {
      positions.set(s.id, position);
      return new Set([s.id]);
    }
    const children = s.kind === 'series' ? s.items : s.branches;
    const all = new Set<string>();
    children.forEach((child, index) => {
      const inner = place(child, [...position, { container: s, index }]);
      if (s.kind === 'parallel') branchNodes.set(child, inner);
      for (const id of inner) all.add(id);
    });
    return all;
  };
  place(tree, []);

  /** True when `b` runs after `a` has finished, in every run (a series orders them). */
  const before = (a: Structure | string, b: string): boolean => {
    if (b === AFTER_ALL) return true;
    const pa = positions.get(a);
    const pb = positions.get(b);
    if (!pa || !pb) return false;
    for (let d = 0; d < Math.min(pa.length, pb.length); d++) {
      const x = pa[d] as Position[number];
      const y = pb[d] as Position[number];
      if (x.index !== y.index) return x.container.kind === 'series' && x.index < y.index;
    }
    return false;
  };
  const readersOf = new Map<string, string[]>();
  const readBy = (id: string): string[] => {
    let list = readersOf.get(id);
    if (!list) {
      list = [...new Set(readers(id))].filter((r) => r === AFTER_ALL || before(id, r));
      readersOf.set(id, list);
    }
    return list;
  };
  /**
   * True when the copy of the state at `point` must still hold `id`'s record for reader `r`: `r`
   * runs after `point`, and every join between them takes the record from this copy. A join takes
   * a record that entered its Parallel from branch 0 (see `sources` below), so another branch
   * drops such a record once its own readers are done instead of passing it through its inner joins.
   */
  const carries = (id: string, point: Structure | string, r: string): boolean => {
    if (!before(point, r)) return false;
    const pp = positions.get(point) as Position;
    const pi = positions.get(id) as Position;
    const pr = r === AFTER_ALL ? [] : (positions.get(r) as Position);
    let d = 0;
    while (
      d < pp.length &&
      d < pr.length &&
      (pp[d] as Position[number]).index === (pr[d] as Position[number]).index
    )
      d++;
    // The Parallels that contain `point` but not `r`: the record leaves each one through its join.
    for (let e = d; e < pp.length; e++) {
      const step = pp[e] as Position[number];
      if (step.container.kind !== 'parallel' || step.index === 0) continue;
      const inside =
        pi.length > e && pi.slice(0, e + 1).every((x, j) => x.index === (pp[j] as Position[number]).index);
      if (!inside) return false;
    }
    return true;
  };
  /** Some reader of `id` runs after `point` has finished, and this copy of the state carries it there. */
  const readAfter = (id: string, point: Structure | string): boolean =>
    readBy(id).some((r) => carries(id, point, r));

  const allocate = (parked: ReadonlySet<string>) => {
    const slotOf = new Map<string, number>();
    const joins = new Map<Structure, Array<{ slot: number; branch: number }>>();
    /** How many joins each record passes through in a slot of its own. */
    const passed = new Map<string, number>();
    let slotCount = 1;

    /** `env`: slot → the record it holds that a later state of this copy still reads. */
    const visit = (
      s: Structure,
      env: Map<number, string>,
      reserved: ReadonlySet<number>,
      innermost: Structure | undefined,
    ): void => {
      if (s.kind === 'series') {
        for (const item of s.items) visit(item, env, reserved, innermost);
        return;
      }
      if (s.kind === 'node') {
        for (const [slot, id] of env) if (!readAfter(id, s.id)) env.delete(slot);
        if (parked.has(s.id)) return;
        const leaves = innermost !== undefined && readAfter(s.id, innermost);
        let slot = 0;
        while (env.has(slot) || (leaves && reserved.has(slot))) slot++;
        slotOf.set(s.id, slot);
        slotCount = Math.max(slotCount, slot + 1);
        if (readBy(s.id).length > 0) env.set(slot, s.id);
        return;
      }
      const leaving = new Set<number>();
      const left: Array<{ slot: number; branch: number; id: string }> = [];
      // Records that entered the Parallel and are read after its join: the join takes them from
      // branch 0, so a record leaving another branch must not take their slots.
      const passing = [...env].filter(([, id]) => readAfter(id, s)).map(([slot]) => slot);
      s.branches.forEach((branch, index) => {
        const copy = new Map(env);
        visit(branch, copy, new Set([...reserved, ...leaving, ...(index === 0 ? [] : passing)]), s);
        const own = branchNodes.get(branch) as Set<string>;
        for (const [slot, id] of copy) {
          if (own.has(id) && readAfter(id, s)) {
            leaving.add(slot);
            left.push({ slot, branch: index, id });
          }
        }
      });
      const sources: Array<{ slot: number; branch: number }> = [];
      for (const [slot, id] of env) {
        if (readAfter(id, s)) {
          sources.push({ slot, branch: 0 });
          passed.set(id, (passed.get(id) ?? 0) + 1);
        } else env.delete(slot);
      }
      for (const { slot, branch, id } of left) {
        env.set(slot, id);
        sources.push({ slot, branch });
      }
      sources.sort((a, b) => a.slot - b.slot);
      joins.set(s, sources);
    };
    visit(tree, new Map(), new Set(), undefined);
    return { slotOf, slotCount, joins, passed };
  };

  const precedes = (a: string, b: string) => before(a, b);
  const plain = allocate(new Set());
  const parked = new Set(
    options.park ? [...plain.passed].filter(([, n]) => n >= PARK_AFTER_JOINS).map(([id]) => id) : [],
  );
  if (parked.size === 0) return { ...plain, precedes, parked, parkedWriters: new Map() };
  // A join merges the parking slots of the branches that park a record; a Parallel with more such
  // branches than one field can merge parks none of the records written inside it.
  const parkedWriters = new Map<Structure, number[]>();
  for (;;) {
    parkedWriters.clear();
    let over: Structure | undefined;
    for (const [branch, ids] of branchNodes) {
      const position = positions.get(branch) as Position;
      const step = position[position.length - 1] as Position[number];
      if (![...ids].some((id) => parked.has(id))) continue;
      const list = parkedWriters.get(step.container) ?? [];
      list.push(step.index);
      parkedWriters.set(step.container, list);
      if (list.length > MAX_PARKED_WRITERS) over = step.container;
    }
    if (!over) break;
    for (const branch of over.kind === 'parallel' ? over.branches : [])
      for (const id of branchNodes.get(branch) ?? []) parked.delete(id);
  }
  if (parked.size === 0) return { ...plain, precedes, parked, parkedWriters: new Map() };
  for (const list of parkedWriters.values()) list.sort((a, b) => a - b);
  const plan = allocate(parked);
  const parkingSlot = plan.slotCount;
  for (const id of parked) plan.slotOf.set(id, parkingSlot);
  return {
    slotOf: plan.slotOf,
    slotCount: parkingSlot + 1,
    joins: plan.joins,
    precedes,
    parked,
    parkingSlot,
    parkedWriters,
  };
}

const NODE_PATH = /^\$\.nodes(?:\.([A-Za-z_$][A-Za-z0-9_$]*)|\['((?:[^'\\]|\\.)*)'\])/;

/**
 * Rewrites every path to a node record written as `$.nodes.<id>…` (how templates, conditions and
 * guards name them) to the record's slot, `$.nodes3.<id>…`, in every path field of a state tree
 * (`….$` values, including paths inside intrinsic functions but not quoted text, `Variable`,
 * and `…Path` fields). Returns a new tree; the input is not modified.
 */
export function rewriteRecordPaths<T>(value: T, slotOf: ReadonlyMap<string, number>): T {
  const rewrite = (text: string): string => {
    let out = '';
    let i = 0;
    while (i < text.length) {
      const c = text.charAt(i);
      if (c === "'") {
        // A quoted intrinsic-function argument: copied as is (backslash escapes included).
        let j = i + 1;
        while (j < text.length && text.charAt(j) !== "'") j += text.charAt(j) === '\\' ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j + 1;
        continue;
      }
      if (c === '$' && text.charAt(i - 1) !== '$') {
        const match = NODE_PATH.exec(text.slice(i));
        if (match) {
          const id = match[1] ?? (match[2] as string).replace(/\\(.)/g, '$1');
          const slot = slotOf.get(id);
          if (slot !== undefined && slot !== 0) {
            out += `$.${slotName(slot)}${match[0].slice('$.nodes'.length)}`;
            i += match[0].length;
            continue;
          }
        }
      }
      out += c;
      i++;
    }
    return out;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      // A Map's ItemProcessor (a forEach body) has its own slots, rewritten when it was built.
      if (key === 'ItemProcessor') {
        out[key] = child;
        continue;
      }
      const isPath = key.endsWith('.$') || key === 'Variable' || key.endsWith('Path');
      out[key] = isPath && typeof child === 'string' ? rewrite(child) : walk(child);
    }
    return out;
  };
  return walk(value) as T;
}
