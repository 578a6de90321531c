import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { checkMachineStructure } from '../../../lib/runtime/local/check-machine-structure.ts';
import { InvalidDefinitionError } from '../../../lib/runtime/state-machines.ts';
import { actionTask, failedState, machine, parallelState } from './asl-fixtures.ts';

const good = machine('both:parallel', {
  'both:parallel': parallelState(
    [
      { StartAt: 'a', States: { a: actionTask('a', { next: 'b' }), b: actionTask('b') } },
      {
        StartAt: 'c',
        States: {
          c: actionTask('c', { extra: { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'c:failed' }] } }),
          'c:failed': failedState('c'),
        },
      },
    ],
    'done:choice',
  ),
  'done:choice': {
    Type: 'Choice',
    Choices: [{ Variable: '$.x', IsPresent: true, Next: 'end' }],
    Default: 'end',
  },
  end: { Type: 'Succeed' },
});

function broken(mutate: (asl: AslDefinition) => void): AslDefinition {
  const asl = structuredClone(good);
  mutate(asl);
  return asl;
}

describe('checkMachineStructure', () => {
  it('accepts a well-formed machine with branches, catchers and choices', () => {
    expect(() => checkMachineStructure(good)).not.toThrow();
  });

  it.each([
    [
      'a missing StartAt target',
      (asl: AslDefinition) => Object.assign(asl, { StartAt: 'nowhere' }),
      /StartAt/,
    ],
    [
      'a Choice rule to nowhere',
      (asl: AslDefinition) => {
        (asl.States['done:choice']?.Choices as Array<Record<string, unknown>>)[0] = {
          Variable: '$.x',
          IsPresent: true,
          Next: 'gone',
        };
      },
      /Choices rule names a missing state "gone"/,
    ],
    [
      'a broken transition inside a branch',
      (asl: AslDefinition) => {
        const branches = asl.States['both:parallel']?.Branches as AslDefinition[];
        const a = branches[0]?.States.a;
        if (a) a.Next = 'z';
      },
      /branch 0: state "a" Next names a missing state "z"/,
    ],
    [
      'a catcher to nowhere',
      (asl: AslDefinition) => {
        const branches = asl.States['both:parallel']?.Branches as AslDefinition[];
        const c = branches[1]?.States.c;
        if (c) c.Catch = [{ ErrorEquals: ['States.ALL'], Next: 'lost' }];
      },
      /Catch rule names a missing state "lost"/,
    ],
    [
      'an unknown type',
      (asl: AslDefinition) => {
        asl.States.end = { Type: 'Sleep' };
      },
      /"end" has no valid Type/,
    ],
    [
      'a state that neither ends nor continues',
      (asl: AslDefinition) => {
        asl.States.end = { Type: 'Pass' };
      },
      /neither Next nor End/,
    ],
  ])('refuses %s', (_label, mutate, message) => {
    const asl = broken(mutate);
    expect(() => checkMachineStructure(asl)).toThrow(InvalidDefinitionError);
    expect(() => checkMachineStructure(asl)).toThrow(message);
  });
});
