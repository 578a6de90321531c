import type { Condition, Literal, Operand } from './expression.ts';
import { readPath } from './path-ref.ts';

/**
 * Reference semantics of conditions (DESIGN.md §2), written from the rules and independent of the
 * compiler: a comparison whose path is missing, or whose sides differ in type, is false; `!` of it
 * is true. `matches` is a glob where `*` is any run of characters (`\*` a literal star).
 */
export function evaluateCondition(condition: Condition, data: unknown): boolean {
  switch (condition.kind) {
    case 'constant':
      return condition.value;
    case 'and':
      return evaluateCondition(condition.left, data) && evaluateCondition(condition.right, data);
    case 'or':
      return evaluateCondition(condition.left, data) || evaluateCondition(condition.right, data);
    case 'not':
      return !evaluateCondition(condition.operand, data);
    case 'exists':
      return readPath(data, condition.ref) !== undefined;
    case 'truthy':
      return readPath(data, condition.ref) === true;
    case 'matches': {
      const value = readPath(data, condition.ref);
      return typeof value === 'string' && globToRegExp(condition.pattern).test(value);
    }
    case 'compare': {
      const left = operandValue(condition.left, data);
      const right = operandValue(condition.right, data);
      if (left === undefined || right === undefined) return false;
      const type = typeOf(left);
      if (type !== typeOf(right) || type === 'other') return false;
      switch (condition.op) {
        case '==':
          return left === right;
        case '!=':
          return left !== right;
        default:
          if (type !== 'number' && type !== 'string') return false;
          return compareOrdered(condition.op, left as number | string, right as number | string);
      }
    }
  }
}

function operandValue(operand: Operand, data: unknown): unknown {
  return operand.kind === 'literal' ? operand.value : readPath(data, operand.ref);
}

function typeOf(value: unknown): 'number' | 'string' | 'boolean' | 'null' | 'other' {
  if (value === null) return 'null';
  const t = typeof value;
  return t === 'number' || t === 'string' || t === 'boolean' ? t : 'other';
}

function compareOrdered(op: '<' | '<=' | '>' | '>=', a: number | string, b: number | string): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** A glob (`*` = any run of characters, `\*` = a star) as an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\' && pattern.charAt(i + 1) === '*') {
      source += '\\*';
      i++;
    } else if (c === '*') source += '[\\s\\S]*';
    else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export type { Literal };
