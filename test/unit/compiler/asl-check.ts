import aslValidator from 'asl-validator';
import type { AslDefinition } from '../../../lib/compiler/types.ts';

type State = Record<string, unknown>;

/**
 * Test helper: every compiled machine of a test file is checked with asl-validator. The
 * validator rebuilds its schemas on every call (~0.4 s), so machines are collected and checked
 * together, as the renamed-apart branches of one Parallel.
 */
export class AslCollector {
  private readonly machines: AslDefinition[] = [];

  add(asl: AslDefinition): AslDefinition {
    this.machines.push(structuredClone(asl));
    return asl;
  }

  get count(): number {
    return this.machines.length;
  }

  /** Validates everything collected; returns the validator's messages (empty when all are valid). */
  validate(): string[] {
    if (this.machines.length === 0) return [];
    const result = aslValidator(combine(this.machines) as never);
    return result.isValid ? [] : result.errorsText('\n').split('\n');
  }
}

function combine(machines: readonly AslDefinition[]): AslDefinition {
  const rename = (state: State, prefix: string): State => {
    const copy: State = { ...state };
    for (const key of ['Next', 'Default'] as const)
      if (typeof copy[key] === 'string') copy[key] = prefix + copy[key];
    for (const key of ['Choices', 'Catch'] as const) {
      if (Array.isArray(copy[key]))
        copy[key] = (copy[key] as State[]).map((r) => ({ ...r, Next: prefix + String(r.Next) }));
    }
    if (Array.isArray(copy.Branches))
      copy.Branches = (copy.Branches as AslDefinition[]).map((b) => machine(b, prefix));
    if (copy.ItemProcessor !== undefined) {
      const processor = copy.ItemProcessor as AslDefinition & Record<string, unknown>;
      copy.ItemProcessor = { ...processor, ...machine(processor, prefix) };
    }
    return copy;
  };
  const machine = (asl: AslDefinition, prefix: string): AslDefinition => ({
    StartAt: prefix + asl.StartAt,
    States: Object.fromEntries(
      Object.entries(asl.States).map(([name, s]) => [prefix + name, rename(s, prefix)]),
    ),
  });
  return {
    StartAt: 'all',
    States: { all: { Type: 'Parallel', Branches: machines.map((m, i) => machine(m, `m${i}/`)), End: true } },
  };
}
