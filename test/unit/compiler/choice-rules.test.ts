import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compileCondition,
  globToStringMatches,
  joinRule,
  type NodeStatus,
} from '../../../lib/compiler/choice-rules.ts';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { evaluateCondition } from '../../../lib/workflow/evaluate-condition.ts';
import { parseCondition } from '../../../lib/workflow/expression.ts';
import { AslCollector } from './asl-check.ts';

// Conditions compiled to Choice rules decide exactly like the reference evaluateCondition, checked
// by running each rule in aws-local-stepfunctions against data with missing paths and every type.

const collector = new AslCollector();
afterAll(() => {
  expect(collector.validate()).toEqual([]);
});

const conditions = [
  'nodes.a.output.n > 10',
  'nodes.a.output.n == 3',
  'nodes.a.output.n != 3',
  '!(nodes.a.output.n > 10)',
  'nodes.a.output.s == "yes"',
  'nodes.a.output.s < "m"',
  'nodes.a.output.flag == true',
  'nodes.a.output.flag != false',
  'nodes.a.output.flag',
  'nodes.a.output.nothing == null',
  'nodes.a.output.s != null',
  'exists(nodes.a.output.nothing)',
  'matches(nodes.a.output.s, "ye*")',
  'matches(nodes.a.output.s, "a\\\\*b")',
  'nodes.a.output.n == nodes.a.output.m',
  'nodes.a.output.n <= nodes.a.output.m',
  'nodes.a.output.s != nodes.a.output.t',
  '3 < nodes.a.output.n',
  'nodes.a.output.n >= 1 && (nodes.a.output.s == "yes" || !exists(nodes.a.output.s))',
  '1 == 1',
  'input.x > 0 || false',
];
const data = [
  {},
  { n: 3, m: 3, s: 'yes', t: 'yes', flag: true, nothing: null },
  { n: 11, m: 3, s: 'a*b', t: 'no', flag: false },
  { n: '11', m: 11, s: 5, flag: 'true', nothing: 0 },
  { n: 0.5, m: 0.5, s: 'yes!', t: null, flag: null },
];

function machine(rule: Record<string, unknown> | boolean): AslDefinition {
  const choice = typeof rule === 'boolean' ? { Variable: '$.input', IsPresent: rule } : rule;
  return {
    StartAt: 'c:decide',
    States: {
      'c:decide': { Type: 'Choice', Choices: [{ ...choice, Next: 'c:yes' }], Default: 'c:no' },
      'c:yes': { Type: 'Pass', Result: { answer: 'yes' }, End: true },
      'c:no': { Type: 'Pass', Result: { answer: 'no' }, End: true },
    },
  };
}

describe('conditions as native Choice rules', () => {
  for (const source of conditions) {
    it(`${source} decides like the reference`, async () => {
      const condition = parseCondition(source);
      const asl = collector.add(machine(compileCondition(condition)));
      const sm = new StateMachine(asl as never, { validationOptions: { noValidate: true } });
      for (const output of data) {
        const state = { input: { x: 1 }, nodes: { a: { status: 'succeeded', output } } };
        const result = (await sm.run(state as never).result) as { answer: string };
        expect(result.answer, JSON.stringify(output)).toBe(
          evaluateCondition(condition, state) ? 'yes' : 'no',
        );
      }
    });
  }

  it('turns a glob into a StringMatches pattern', () => {
    expect(globToStringMatches('a*b\\*c\\d')).toBe('a*b\\*c\\\\d');
  });
});

describe('join rules', () => {
  const all: NodeStatus[] = ['succeeded', 'failed', 'skipped'];
  const knowledge = (statuses: Record<string, NodeStatus[]>) => (id: string) =>
    new Set<NodeStatus>(statuses[id] ?? all);
  const edge = (from: string, on: 'success' | 'error' | 'always' = 'success') => ({
    from,
    to: 'x',
    on,
    pointer: '',
  });

  it('is decided at compile time when the sources can only be one way', () => {
    expect(joinRule([edge('a')], 'all', () => true, knowledge({ a: ['succeeded'] }))).toBe(true);
    expect(joinRule([edge('a', 'error')], 'all', () => true, knowledge({ a: ['succeeded'] }))).toBe(false);
    expect(joinRule([edge('a'), edge('b')], 'any', () => true, knowledge({ a: ['succeeded'] }))).toBe(true);
    expect(joinRule([], 'all', () => true, knowledge({}))).toBe(true);
  });

  it('reads recorded statuses otherwise', () => {
    expect(
      joinRule(
        [edge('a'), edge('b', 'always')],
        'all',
        () => true,
        knowledge({ a: ['succeeded', 'skipped'] }),
      ),
    ).toEqual({
      And: [
        { Variable: '$.nodes.a.status', StringEquals: 'succeeded' },
        { Not: { Variable: '$.nodes.b.status', StringEquals: 'skipped' } },
      ],
    });
  });
});
