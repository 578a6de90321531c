import type { AslState } from './state-graph.ts';
import { nodePath } from './state-names.ts';

/** A record path as the compiler writes it before slots are assigned: `$.nodes.<id>` or `$.nodes['<id>']`. */
const RECORD_PATH =
  /\$\.nodes(?![A-Za-z0-9_$])(?:\.([A-Za-z_$][A-Za-z0-9_$]*)|\['((?:[^'\\]|\\.)*)'\])?(\.output\b)?/g;

/**
 * The nodes whose recorded `status` some state of the machine reads, or `'all'`: every record
 * path not followed by `.output` counts (a guard's or condition's `.status`, a template naming
 * the status or the whole record, a transform's run data, a forEach body's copy of an outer
 * record, a compensation's check). `states` are the machine's states before slots are assigned
 * (paths still `$.nodes.<id>`). Text that only looks like a path (a quoted literal) counts too:
 * keeping a status is always safe.
 */
export function statusReads(states: Record<string, AslState>): ReadonlySet<string> | 'all' {
  const read = new Set<string>();
  let all = false;
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(RECORD_PATH)) {
        if (match[3] !== undefined) continue;
        const id = match[1] ?? match[2]?.replace(/\\(.)/g, '$1');
        if (id === undefined) all = true;
        else read.add(id);
      }
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      // A ResultPath writes (`$.nodes`: a record replacing its slot, `$.nodes.<id>`: part of one).
      for (const [key, child] of Object.entries(value)) if (key !== 'ResultPath') visit(child);
    }
  };
  visit(states);
  return all ? 'all' : read;
}

/**
 * Drops `status: "succeeded"` from the record an action Task writes (its ResultSelector
 * `{ <id>: { status, output } }`) where no state reads that node's status (see {@link statusReads}).
 * The machine needs the status only for its own readers: the execution records are built from the
 * history, where a node's own state `<id>` exiting normally is its success (lib/runtime: both
 * record builders read a record without a status, with an output, as succeeded once `<id>` has
 * exited). Each such Task saves 25 bytes of ASL. States inside Parallel branches are visited; a
 * forEach body (a Map's ItemProcessor) keeps its statuses: its iteration records count them.
 */
export function dropUnreadStatuses(
  states: Record<string, AslState>,
  actionIds: ReadonlySet<string>,
): Record<string, AslState> {
  const read = statusReads(states);
  if (read === 'all') return states;
  const visit = (scope: Record<string, AslState>): Record<string, AslState> => {
    const out: Record<string, AslState> = {};
    for (const [name, state] of Object.entries(scope)) {
      if (state.Type === 'Parallel') {
        const branches = state.Branches as Array<{ StartAt: string; States: Record<string, AslState> }>;
        out[name] = { ...state, Branches: branches.map((b) => ({ ...b, States: visit(b.States) })) };
        continue;
      }
      const selector = state.ResultSelector as Record<string, Record<string, unknown>> | undefined;
      // A parked record (state-slots.ts) is the selector itself, added at `$.nodes.<id>`.
      const entry = state.ResultPath === nodePath(name);
      const record = entry ? (selector as Record<string, unknown> | undefined) : selector?.[name];
      if (state.Type === 'Task' && actionIds.has(name) && !read.has(name) && record?.status === 'succeeded') {
        const { status: _unread, ...rest } = record;
        out[name] = { ...state, ResultSelector: entry ? rest : { [name]: rest } };
        continue;
      }
      out[name] = state;
    }
    return out;
  };
  return visit(states);
}
