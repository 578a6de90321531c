import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { localActionArn } from '../../../lib/runtime/local/local-action-arns.ts';
import type { MachineInput } from '../../../lib/runtime/state-machines.ts';

type State = Record<string, unknown>;

/**
 * Hand-written ASL in the shape the compiler emits (DESIGN.md §2): an init Pass that builds
 * `{ input, execution, nodes: {} }`, one `lambda:invoke` Task per action node named by its id,
 * its result at `$.nodes.<id>`, and compiler-added states whose names contain ':'.
 */
export function initState(next: string): State {
  return {
    Type: 'Pass',
    Parameters: { 'input.$': '$.input', 'execution.$': '$.execution', nodes: {} },
    Next: next,
  };
}

/** A node's Task: the action's local ARN, the payload of DESIGN.md §2, the output recorded as succeeded. */
export function actionTask(
  id: string,
  options: { kind?: string; config?: Record<string, unknown>; next?: string; extra?: State } = {},
): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: localActionArn(options.kind ?? 'log'),
      Payload: {
        nodeId: id,
        action: options.kind ?? 'log',
        config: options.config ?? { message: id },
        'execution.$': '$.execution',
        attempt: 1,
      },
    },
    ResultSelector: { status: 'succeeded', 'output.$': '$.Payload' },
    ResultPath: `$.nodes.${id}`,
    ...(options.next ? { Next: options.next } : { End: true }),
    ...options.extra,
  };
}

/** The compiler's `<id>:failed` helper: turns the caught `{ Error, Cause }` at `$.nodes.<id>` into a failed entry. */
export function failedState(id: string, next?: string): State {
  return {
    Type: 'Pass',
    InputPath: `$.nodes.${id}`,
    Parameters: { status: 'failed', 'error.$': '$' },
    ResultPath: `$.nodes.${id}`,
    ...(next ? { Next: next } : { End: true }),
  };
}

/** The compiler's `<id>:skip` helper: records the node as skipped. */
export function skipState(id: string, next?: string): State {
  return {
    Type: 'Pass',
    Parameters: { status: 'skipped' },
    ResultPath: `$.nodes.${id}`,
    ...(next ? { Next: next } : { End: true }),
  };
}

/** A Parallel whose branch `nodes` maps are merged back (the ResultSelector of DESIGN.md §4). */
export function parallelState(branches: AslDefinition[], next?: string): State {
  let merged = '$[0].nodes';
  for (let i = 1; i < branches.length; i++) merged = `States.JsonMerge(${merged}, $[${i}].nodes, false)`;
  return {
    Type: 'Parallel',
    Branches: branches,
    ResultSelector: { 'input.$': '$[0].input', 'execution.$': '$[0].execution', 'nodes.$': merged },
    ...(next ? { Next: next } : { End: true }),
  };
}

/** A machine: `flow:init` then `first`. */
export function machine(
  first: string,
  states: Record<string, State>,
  extra: Partial<AslDefinition> = {},
): AslDefinition {
  return { StartAt: 'flow:init', States: { 'flow:init': initState(first), ...states }, ...extra };
}

export function machineInput(input: unknown = {}, id = 'exec-1'): MachineInput {
  return { input, execution: { id, startedAt: '2026-01-01T00:00:00.000Z', flowId: 'flow', version: 1 } };
}

/** An error as an action throws it: a stable `name`. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Milliseconds between the first event matching `from` and the first later one matching `to`. */
export function durationOf(
  events: readonly { type: string; timestamp: number; state?: { name: string } }[],
  stateName: string,
  from = 'StateEntered',
  to = 'StateExited',
): number {
  const start = events.find((event) => event.type === from && event.state?.name === stateName);
  const end = events.find(
    (event) =>
      event.type === to && event.state?.name === stateName && start && event.timestamp >= start.timestamp,
  );
  if (!start || !end) throw new Error(`no ${from}→${to} for ${stateName}`);
  return end.timestamp - start.timestamp;
}

/**
 * All machines as the branches of one Parallel, their states renamed apart (`m<i>/<name>`), so
 * asl-validator (which rebuilds its schemas on every call) checks them all in one call.
 */
export function combineMachines(machines: readonly AslDefinition[]): AslDefinition {
  const renameAll = (states: Record<string, State>, prefix: string): Record<string, State> =>
    Object.fromEntries(
      Object.entries(states).map(([name, state]) => [prefix + name, renameState(state, prefix)]),
    );
  const renameState = (state: State, prefix: string): State => {
    const copy: State = { ...state };
    if (typeof copy.Next === 'string') copy.Next = prefix + copy.Next;
    if (typeof copy.Default === 'string') copy.Default = prefix + copy.Default;
    for (const key of ['Choices', 'Catch'] as const) {
      if (Array.isArray(copy[key])) {
        copy[key] = (copy[key] as State[]).map((rule) => ({ ...rule, Next: prefix + String(rule.Next) }));
      }
    }
    if (Array.isArray(copy.Branches)) {
      copy.Branches = (copy.Branches as AslDefinition[]).map((branch) => renameMachine(branch, prefix));
    }
    return copy;
  };
  const renameMachine = (asl: AslDefinition, prefix: string): AslDefinition => ({
    StartAt: prefix + asl.StartAt,
    States: renameAll(asl.States, prefix),
  });
  return {
    StartAt: 'all',
    States: {
      all: { Type: 'Parallel', Branches: machines.map((asl, i) => renameMachine(asl, `m${i}/`)), End: true },
    },
  };
}
