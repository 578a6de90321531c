import type { Edge } from '../workflow/edges.ts';
import { evaluateCondition } from '../workflow/evaluate-condition.ts';
import type { CompareOp, Condition, Literal, Operand } from '../workflow/expression.ts';
import { type PathRef, toJsonPath } from '../workflow/path-ref.ts';
import { nodePath } from './state-names.ts';

/** A Choice rule without `Next` (a data test, or And/Or/Not of rules). */
export type ChoiceRule = Record<string, unknown>;

/** A rule, or a constant when it is decided at compile time. */
export type RuleOrConstant = ChoiceRule | boolean;

/** A node's recorded final status. */
export type NodeStatus = 'succeeded' | 'failed' | 'skipped';
export const ALL_STATUSES: readonly NodeStatus[] = ['succeeded', 'failed', 'skipped'];

/** What the compiler knows about the statuses a node can have when a rule is evaluated. */
export type Knowledge = (nodeId: string) => ReadonlySet<NodeStatus>;

const and = (rules: RuleOrConstant[]): RuleOrConstant => {
  const kept: ChoiceRule[] = [];
  for (const rule of rules) {
    if (rule === false) return false;
    if (rule !== true) kept.push(...(rule.And ? (rule.And as ChoiceRule[]) : [rule]));
  }
  if (kept.length === 0) return true;
  return kept.length === 1 ? (kept[0] as ChoiceRule) : { And: kept };
};

const or = (rules: RuleOrConstant[]): RuleOrConstant => {
  const kept: ChoiceRule[] = [];
  for (const rule of rules) {
    if (rule === true) return true;
    if (rule !== false) kept.push(...(rule.Or ? (rule.Or as ChoiceRule[]) : [rule]));
  }
  if (kept.length === 0) return false;
  return kept.length === 1 ? (kept[0] as ChoiceRule) : { Or: kept };
};

const not = (rule: RuleOrConstant): RuleOrConstant => {
  if (typeof rule === 'boolean') return !rule;
  if (rule.Not && Object.keys(rule).length === 1) return rule.Not as ChoiceRule;
  return { Not: rule };
};

/** Boolean combinators that fold constants and flatten nested And/Or. */
export const rules = { and, or, not };

type ValueType = 'number' | 'string' | 'boolean' | 'null';
const TYPE_TEST: Record<ValueType, string> = {
  number: 'IsNumeric',
  string: 'IsString',
  boolean: 'IsBoolean',
  null: 'IsNull',
};
const OP_SUFFIX: Record<Exclude<CompareOp, '!='>, string> = {
  '==': 'Equals',
  '<': 'LessThan',
  '<=': 'LessThanEquals',
  '>': 'GreaterThan',
  '>=': 'GreaterThanEquals',
};
const FLIP: Record<CompareOp, CompareOp> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};

/** `IsPresent` then the type test: a missing path or another type makes the rule false. */
function typed(variable: string, type: ValueType): ChoiceRule[] {
  return [
    { Variable: variable, IsPresent: true },
    { Variable: variable, [TYPE_TEST[type]]: true },
  ];
}

function literalType(value: Literal): ValueType {
  if (value === null) return 'null';
  return typeof value as ValueType;
}

function compareWithLiteral(path: string, op: CompareOp, value: Literal): RuleOrConstant {
  const type = literalType(value);
  const guard = typed(path, type);
  if (type === 'null') return op === '==' ? and(guard) : false;
  if (type === 'boolean') {
    if (op !== '==' && op !== '!=') return false;
    return and([...guard, { Variable: path, BooleanEquals: op === '==' ? value : !value }]);
  }
  const prefix = type === 'number' ? 'Numeric' : 'String';
  if (op === '!=') return and([...guard, { Not: { Variable: path, [`${prefix}Equals`]: value } }]);
  return and([...guard, { Variable: path, [`${prefix}${OP_SUFFIX[op]}`]: value }]);
}

function compareTwoPaths(left: string, op: CompareOp, right: string): RuleOrConstant {
  const types: ValueType[] =
    op === '=='
      ? ['number', 'string', 'boolean', 'null']
      : op === '!='
        ? ['number', 'string', 'boolean']
        : ['number', 'string'];
  return or(
    types.map((type) => {
      const guard = [...typed(left, type), ...typed(right, type)];
      if (type === 'null') return and(guard);
      const prefix = type === 'number' ? 'Numeric' : type === 'string' ? 'String' : 'Boolean';
      if (op === '!=') return and([...guard, { Not: { Variable: left, [`${prefix}EqualsPath`]: right } }]);
      return and([...guard, { Variable: left, [`${prefix}${OP_SUFFIX[op]}Path`]: right }]);
    }),
  );
}

/**
 * A glob of the condition language (`*` any run, `\*` a star) as a `StringMatches` pattern,
 * where a literal backslash must itself be escaped.
 */
export function globToStringMatches(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\' && pattern.charAt(i + 1) === '*') {
      out += '\\*';
      i++;
    } else if (c === '\\') out += '\\\\';
    else out += c;
  }
  return out;
}

const pathOf = (ref: PathRef): string => toJsonPath(ref);

function compare(op: CompareOp, left: Operand, right: Operand): RuleOrConstant {
  if (left.kind === 'literal' && right.kind === 'literal') {
    return evaluateCondition({ kind: 'compare', op, left, right, start: 0 }, {});
  }
  if (left.kind === 'path' && right.kind === 'path')
    return compareTwoPaths(pathOf(left.ref), op, pathOf(right.ref));
  if (left.kind === 'path' && right.kind === 'literal')
    return compareWithLiteral(pathOf(left.ref), op, right.value);
  if (left.kind === 'literal' && right.kind === 'path')
    return compareWithLiteral(pathOf(right.ref), FLIP[op], left.value);
  return false;
}

/**
 * Compiles a condition (DESIGN.md §2) to a native Choice rule with the reference semantics of
 * `evaluateCondition`: comparisons are guarded by IsPresent and a type test, so a missing path
 * or a type mismatch makes them false, and `!` of them true. Constant conditions fold.
 */
export function compileCondition(condition: Condition): RuleOrConstant {
  switch (condition.kind) {
    case 'constant':
      return condition.value;
    case 'and':
      return and([compileCondition(condition.left), compileCondition(condition.right)]);
    case 'or':
      return or([compileCondition(condition.left), compileCondition(condition.right)]);
    case 'not':
      return not(compileCondition(condition.operand));
    case 'exists':
      return { Variable: pathOf(condition.ref), IsPresent: true };
    case 'truthy':
      return and([
        ...typed(pathOf(condition.ref), 'boolean'),
        { Variable: pathOf(condition.ref), BooleanEquals: true },
      ]);
    case 'matches': {
      const path = pathOf(condition.ref);
      return and([
        ...typed(path, 'string'),
        { Variable: path, StringMatches: globToStringMatches(condition.pattern) },
      ]);
    }
    case 'compare':
      return compare(condition.op, condition.left, condition.right);
  }
}

/** A rule "the node's status is one of `allowed`", simplified by what the node can be. */
export function statusRule(
  nodeId: string,
  allowed: ReadonlySet<NodeStatus>,
  knowledge: Knowledge,
): RuleOrConstant {
  const possible = [...knowledge(nodeId)];
  const yes = possible.filter((s) => allowed.has(s));
  const no = possible.filter((s) => !allowed.has(s));
  if (no.length === 0) return true;
  if (yes.length === 0) return false;
  const variable = nodePath(nodeId, 'status');
  if (yes.length === 1) return { Variable: variable, StringEquals: yes[0] };
  if (no.length === 1) return { Not: { Variable: variable, StringEquals: no[0] } };
  return or(yes.map((s) => ({ Variable: variable, StringEquals: s })));
}

const SUCCEEDED: ReadonlySet<NodeStatus> = new Set(['succeeded']);
const FAILED: ReadonlySet<NodeStatus> = new Set(['failed']);
const FINISHED: ReadonlySet<NodeStatus> = new Set(['succeeded', 'failed']);

/** The rule "this edge is taken" (DESIGN.md §2), given compiled edge conditions. */
export function edgeRule(edge: Edge, condition: RuleOrConstant, knowledge: Knowledge): RuleOrConstant {
  switch (edge.on) {
    case 'error':
      return statusRule(edge.from, FAILED, knowledge);
    case 'always':
      return statusRule(edge.from, FINISHED, knowledge);
    case 'success': {
      const succeeded = statusRule(edge.from, SUCCEEDED, knowledge);
      return succeeded === false ? false : and([succeeded, condition]);
    }
  }
}

/**
 * The rule "this node runs": `join: all` = every incoming edge taken, `any` = at least one.
 * `conditionOf` gives the compiled condition of an edge (true without one). A node without
 * incoming edges runs (constant true).
 */
export function joinRule(
  incoming: readonly Edge[],
  join: 'all' | 'any',
  conditionOf: (edge: Edge) => RuleOrConstant,
  knowledge: Knowledge,
): RuleOrConstant {
  if (incoming.length === 0) return true;
  const taken = incoming.map((edge) => edgeRule(edge, conditionOf(edge), knowledge));
  return join === 'all' ? and(taken) : or(taken);
}

/** The rule "this trigger fired": the run's trigger id is absent, null, or this trigger's id. */
export function triggerRule(triggerId: string): ChoiceRule {
  const variable = '$.execution.trigger.id';
  return {
    Or: [
      { Not: { Variable: variable, IsPresent: true } },
      { Variable: variable, IsNull: true },
      { Variable: variable, StringEquals: triggerId },
    ],
  };
}
