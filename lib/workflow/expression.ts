import { ExpressionSyntaxError, type PathRef } from './path-ref.ts';
import { scanPath, scanString } from './path-scanner.ts';

/**
 * The condition language of connections (DESIGN.md §2): paths, literals, `== != < <= > >=`,
 * `&& || !`, parentheses, `exists(path)` and `matches(path, "glob*")`. Parsed by a recursive-descent
 * parser into the AST below; nothing is ever evaluated as JavaScript. The compiler turns the AST into
 * Choice rules; `evaluateCondition` is the reference semantics used by tests and tools.
 */

export type Literal = string | number | boolean | null;
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Operand =
  | { kind: 'path'; ref: PathRef; start: number }
  | { kind: 'literal'; value: Literal; start: number };

export type Condition =
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand; start: number }
  | { kind: 'and' | 'or'; left: Condition; right: Condition; start: number }
  | { kind: 'not'; operand: Condition; start: number }
  | { kind: 'exists'; ref: PathRef; start: number }
  | { kind: 'matches'; ref: PathRef; pattern: string; start: number }
  /** A bare path: true iff the value is the boolean `true`. */
  | { kind: 'truthy'; ref: PathRef; start: number }
  | { kind: 'constant'; value: boolean; start: number };

type Token =
  | { type: 'op'; value: string; start: number }
  | { type: 'path'; ref: PathRef; start: number }
  | { type: 'fn'; name: string; start: number }
  | { type: 'literal'; value: Literal; start: number }
  | { type: 'end'; start: number };

const OPERATOR = /==|!=|<=|>=|&&|\|\||[<>!(),]/y;
const NUMBER = /-?(?:\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const SPACE = /\s+/y;
const OPEN_PAREN_AHEAD = /\s*\(/y;
const MAX_LENGTH = 4096;

/** Runs a sticky regex at `at`; the match or null (no copies of the rest of the source). */
function matchAt(pattern: RegExp, source: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(source)?.[0] ?? null;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const space = matchAt(SPACE, source, i);
    if (space) {
      i += space.length;
      continue;
    }
    const c = source.charAt(i);
    const op = matchAt(OPERATOR, source, i);
    if (op) {
      tokens.push({ type: 'op', value: op, start: i });
      i += op.length;
      continue;
    }
    if (c === '=') throw new ExpressionSyntaxError('use "==" to compare', i);
    if (c === '"' || c === "'") {
      const { value, end } = scanString(source, i);
      tokens.push({ type: 'literal', value, start: i });
      i = end;
      continue;
    }
    const number = matchAt(NUMBER, source, i);
    if (number) {
      tokens.push({ type: 'literal', value: Number(number), start: i });
      i += number.length;
      continue;
    }
    const w = matchAt(WORD, source, i);
    if (w) {
      const call = matchAt(OPEN_PAREN_AHEAD, source, i + w.length) !== null;
      if (w === 'true' || w === 'false' || w === 'null') {
        tokens.push({ type: 'literal', value: w === 'null' ? null : w === 'true', start: i });
        i += w.length;
      } else if (call && (w === 'exists' || w === 'matches')) {
        tokens.push({ type: 'fn', name: w, start: i });
        i += w.length;
      } else if (call) {
        throw new ExpressionSyntaxError(`unknown function "${w}" (known: exists, matches)`, i);
      } else {
        const { ref, end } = scanPath(source, i);
        tokens.push({ type: 'path', ref, start: i });
        i = end;
      }
      continue;
    }
    throw new ExpressionSyntaxError(`unexpected character "${c}"`, i);
  }
  tokens.push({ type: 'end', start: source.length });
  return tokens;
}

/** Parses a condition. Throws `ExpressionSyntaxError` with the position of the first problem. */
export function parseCondition(source: string): Condition {
  if (source.length > MAX_LENGTH)
    throw new ExpressionSyntaxError(`condition longer than ${MAX_LENGTH} characters`, 0);
  const parser = new ConditionParser(source, tokenize(source));
  if (parser.peek().type === 'end') throw new ExpressionSyntaxError('empty condition', 0);
  const condition = parser.parseOr(0);
  const rest = parser.peek();
  if (rest.type !== 'end') throw new ExpressionSyntaxError(`unexpected ${parser.describe(rest)}`, rest.start);
  return condition;
}

/**
 * Recursive descent over the tokens: `or := and ("||" and)*`, `and := unary ("&&" unary)*`,
 * `unary := "!" unary | "(" or ")" | call | comparison`. A class rather than closures, so a parse
 * allocates no functions.
 */
class ConditionParser {
  private pos = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    return this.tokens[this.pos++] as Token;
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t.type === 'op' && t.value === value;
  }

  private expectOp(value: string): void {
    const t = this.next();
    if (t.type !== 'op' || t.value !== value) throw new ExpressionSyntaxError(`expected "${value}"`, t.start);
  }

  describe(t: Token): string {
    return t.type === 'end' ? 'end of condition' : `"${this.source.slice(t.start, t.start + 12)}"`;
  }

  parseOr(depth: number): Condition {
    let left = this.parseAnd(depth);
    while (this.isOp('||')) {
      const start = this.next().start;
      left = { kind: 'or', left, right: this.parseAnd(depth), start };
    }
    return left;
  }

  private parseAnd(depth: number): Condition {
    let left = this.parseUnary(depth);
    while (this.isOp('&&')) {
      const start = this.next().start;
      left = { kind: 'and', left, right: this.parseUnary(depth), start };
    }
    return left;
  }

  private parseUnary(depth: number): Condition {
    if (depth > 64) throw new ExpressionSyntaxError('condition nested too deeply', this.peek().start);
    if (this.isOp('!')) {
      const start = this.next().start;
      return { kind: 'not', operand: this.parseUnary(depth + 1), start };
    }
    if (this.isOp('(')) {
      this.next();
      const inner = this.parseOr(depth + 1);
      this.expectOp(')');
      return inner;
    }
    if (this.peek().type === 'fn') return this.parseCall();
    return this.parseComparison();
  }

  private parseCall(): Condition {
    const fn = this.next() as Extract<Token, { type: 'fn' }>;
    this.expectOp('(');
    const target = this.next();
    if (target.type !== 'path')
      throw new ExpressionSyntaxError(`${fn.name}() takes a path as its first argument`, target.start);
    if (fn.name === 'exists') {
      this.expectOp(')');
      return { kind: 'exists', ref: target.ref, start: fn.start };
    }
    this.expectOp(',');
    const pattern = this.next();
    if (pattern.type !== 'literal' || typeof pattern.value !== 'string') {
      throw new ExpressionSyntaxError(
        'matches() takes a quoted glob pattern as its second argument',
        pattern.start,
      );
    }
    this.expectOp(')');
    return { kind: 'matches', ref: target.ref, pattern: pattern.value, start: fn.start };
  }

  private parseOperand(): Operand {
    const t = this.next();
    if (t.type === 'path') return { kind: 'path', ref: t.ref, start: t.start };
    if (t.type === 'literal') return { kind: 'literal', value: t.value, start: t.start };
    throw new ExpressionSyntaxError(`expected a path or a value, found ${this.describe(t)}`, t.start);
  }

  private parseComparison(): Condition {
    const left = this.parseOperand();
    const t = this.peek();
    if (t.type === 'op' && COMPARE_OPS.has(t.value)) {
      this.next();
      const right = this.parseOperand();
      return { kind: 'compare', op: t.value as CompareOp, left, right, start: left.start };
    }
    if (left.kind === 'path') return { kind: 'truthy', ref: left.ref, start: left.start };
    if (typeof left.value === 'boolean') return { kind: 'constant', value: left.value, start: left.start };
    throw new ExpressionSyntaxError(
      'a value alone is not a condition; compare it with == != < <= > >=',
      left.start,
    );
  }
}

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** Every path a condition reads. */
export function conditionPaths(condition: Condition): PathRef[] {
  switch (condition.kind) {
    case 'compare':
      if (condition.left.kind === 'path') {
        return condition.right.kind === 'path'
          ? [condition.left.ref, condition.right.ref]
          : [condition.left.ref];
      }
      return condition.right.kind === 'path' ? [condition.right.ref] : [];
    case 'and':
    case 'or':
      return [...conditionPaths(condition.left), ...conditionPaths(condition.right)];
    case 'not':
      return conditionPaths(condition.operand);
    case 'exists':
    case 'matches':
    case 'truthy':
      return [condition.ref];
    case 'constant':
      return [];
  }
}
