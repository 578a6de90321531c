import type { AslDefinition } from '../../compiler/types.ts';
import { InvalidDefinitionError } from '../state-machines.ts';
import { MAX_NAME_LENGTH } from './aws-limits.ts';

const STATE_TYPES: ReadonlySet<string> = new Set([
  'Task',
  'Parallel',
  'Map',
  'Pass',
  'Wait',
  'Choice',
  'Succeed',
  'Fail',
]);

type States = Record<string, Record<string, unknown>>;

/**
 * A fast structural check of an ASL document (microseconds, where asl-validator takes ~0.5 s):
 * `StartAt` and every transition (`Next`, `Default`, each Choice rule's and Catcher's `Next`) name
 * a state of the same `States` map, every state has a known `Type`, and nested Parallel branches and
 * Map processors hold the same; as CreateStateMachine, every state name has 1–80 characters and is
 * unique in the whole machine (branches and processors included). Throws
 * {@link InvalidDefinitionError} naming the first problem. It does not check fields, paths or ARNs
 * (see `validateLocalMachine` for the full check).
 */
export function checkMachineStructure(asl: AslDefinition): void {
  checkStates(asl as { StartAt?: unknown; States?: unknown }, '', new Set());
}

function checkStates(
  machine: { StartAt?: unknown; States?: unknown },
  where: string,
  names: Set<string>,
): void {
  const states = machine.States;
  if (typeof states !== 'object' || states === null || Array.isArray(states)) {
    throw new InvalidDefinitionError(`${where}States must be an object`);
  }
  const map = states as States;
  const target = (name: unknown, from: string): void => {
    if (typeof name !== 'string' || !Object.hasOwn(map, name)) {
      throw new InvalidDefinitionError(`${where}${from} names a missing state ${JSON.stringify(name)}`);
    }
  };
  target(machine.StartAt, 'StartAt');
  for (const [name, state] of Object.entries(map)) {
    const at = `state ${JSON.stringify(name)}`;
    const length = [...name].length;
    if (length < 1 || length > MAX_NAME_LENGTH) {
      throw new InvalidDefinitionError(
        `${where}${at}: a state name has 1 to ${MAX_NAME_LENGTH} characters, this one ${length}`,
      );
    }
    if (names.has(name)) {
      throw new InvalidDefinitionError(`${where}${at}: state names must be unique in the whole machine`);
    }
    names.add(name);
    if (typeof state !== 'object' || state === null || !STATE_TYPES.has(String(state.Type))) {
      throw new InvalidDefinitionError(`${where}${at} has no valid Type`);
    }
    if ('Next' in state) target(state.Next, `${at} Next`);
    if ('Default' in state) target(state.Default, `${at} Default`);
    const terminal = state.End === true || ['Choice', 'Succeed', 'Fail'].includes(String(state.Type));
    if (!terminal && !('Next' in state))
      throw new InvalidDefinitionError(`${where}${at} has neither Next nor End`);
    for (const key of ['Choices', 'Catch'] as const) {
      const rules = state[key];
      if (rules === undefined) continue;
      if (!Array.isArray(rules)) throw new InvalidDefinitionError(`${where}${at} ${key} must be an array`);
      for (const rule of rules as Array<Record<string, unknown>>) target(rule?.Next, `${at} ${key} rule`);
    }
    if (state.Type === 'Parallel') {
      const branches = state.Branches;
      if (!Array.isArray(branches) || branches.length === 0) {
        throw new InvalidDefinitionError(`${where}${at} needs Branches`);
      }
      branches.forEach((branch, i) => {
        checkStates(branch as { StartAt?: unknown; States?: unknown }, `${where}${at} branch ${i}: `, names);
      });
    }
    if (state.Type === 'Map') {
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { StartAt?: unknown; States?: unknown }
        | undefined;
      if (!processor) throw new InvalidDefinitionError(`${where}${at} needs an ItemProcessor`);
      checkStates(processor, `${where}${at} processor: `, names);
    }
  }
}

/** Step Functions' most intrinsic functions in one field (the documentation counts every function of it). */
export const MAX_INTRINSICS_PER_FIELD = 10;

/**
 * Refuses, as CreateStateMachine does, a `….$` field with more than
 * {@link MAX_INTRINSICS_PER_FIELD} intrinsic functions (text in quotes not counted), anywhere in
 * the machine (Parameters, ResultSelector, ItemSelector, branches, processors): throws
 * {@link InvalidDefinitionError} naming the state, the field and the count. The compiler refuses
 * the same at save; this holds for any ASL the local runtime is given.
 */
export function checkIntrinsicFields(asl: AslDefinition): void {
  const visit = (stateName: string, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(stateName, item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key.endsWith('.$') && typeof child === 'string' && child.includes('States.')) {
        const count = (child.replace(/'(?:[^'\\]|\\.)*'/g, "''").match(/States\.[A-Za-z0-9]+\(/g) ?? [])
          .length;
        if (count > MAX_INTRINSICS_PER_FIELD) {
          throw new InvalidDefinitionError(
            `state ${JSON.stringify(stateName)}, field ${JSON.stringify(key)}: ${count} intrinsic functions in one field, over Step Functions' limit of ${MAX_INTRINSICS_PER_FIELD}`,
          );
        }
      }
      if ((key === 'Branches' || key === 'ItemProcessor' || key === 'Iterator') && child) {
        visitStates(child);
      } else visit(stateName, child);
    }
  };
  const visitStates = (container: unknown): void => {
    if (Array.isArray(container)) {
      for (const branch of container) visitStates(branch);
      return;
    }
    const states = (container as { States?: unknown } | null)?.States ?? container;
    if (states === null || typeof states !== 'object') return;
    for (const [name, state] of Object.entries(states as Record<string, unknown>)) visit(name, state);
  };
  visitStates(asl);
}
