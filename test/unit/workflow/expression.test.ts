import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../../../lib/workflow/evaluate-condition.ts';
import { conditionPaths, parseCondition } from '../../../lib/workflow/expression.ts';
import { ExpressionSyntaxError } from '../../../lib/workflow/path-ref.ts';

function syntaxError(source: string): ExpressionSyntaxError {
  try {
    parseCondition(source);
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return error;
    throw error;
  }
  throw new Error(`"${source}" parsed`);
}

describe('parseCondition', () => {
  it('parses comparisons, boolean operators, functions and precedence', () => {
    const c = parseCondition(
      'nodes.a.output.status == 200 || !exists(input.x) && matches(input.name, "ab*")',
    );
    expect(c.kind).toBe('or');
    expect(conditionPaths(c).map((p) => p.text)).toEqual(['nodes.a.output.status', 'input.x', 'input.name']);
    const data = { input: { name: 'abc' }, nodes: { a: { output: { status: 500 } } } };
    expect(evaluateCondition(c, data)).toBe(true);
    expect(evaluateCondition(parseCondition('(input.n > 1) && input.n <= 3'), { input: { n: 3 } })).toBe(
      true,
    );
    expect(
      evaluateCondition(parseCondition("input['odd key'][0] == 'x'"), { input: { 'odd key': ['x'] } }),
    ).toBe(true);
  });
  it('treats a missing path or a type mismatch as false, and ! of it as true', () => {
    expect(evaluateCondition(parseCondition('input.x == 1'), { input: {} })).toBe(false);
    expect(evaluateCondition(parseCondition('input.x == "1"'), { input: { x: 1 } })).toBe(false);
    expect(evaluateCondition(parseCondition('!(input.x == 1)'), { input: {} })).toBe(true);
  });
  it('reports errors with 1-based character positions', () => {
    const cases: Array<[string, string, number]> = [
      ['input.x = 1', 'use "==" to compare', 8],
      ['input.x == ', 'expected a path or a value, found end of condition', 11],
      ['input.x == 1 )', 'unexpected ")', 13],
      ['(input.x == 1', 'expected ")"', 13],
      ['eval(input.x)', 'unknown function "eval"', 0],
      ['exists("x")', 'exists() takes a path', 7],
      ['matches(input.x, 3)', 'matches() takes a quoted glob', 17],
      ['env.HOME == "x"', 'a path starts with input., nodes.<id>. or execution.', 0],
      ['nodes.a.secret == 1', 'a node path continues with .output, .status or .error', 0],
      ['1 == 1 && 5', 'a value alone is not a condition', 10],
      ['input.x == "open', 'unterminated string', 11],
      ['', 'empty condition', 0],
      ['input.x == 1 # 2', 'unexpected character "#"', 13],
    ];
    for (const [source, message, position] of cases) {
      const error = syntaxError(source);
      expect(error.message, source).toContain(message);
      expect(error.position, source).toBe(position);
      expect(error.message, source).toContain(`(at character ${position + 1})`);
    }
  });
  it('refuses deep nesting and very long input instead of overflowing the stack', () => {
    expect(syntaxError(`${'!'.repeat(100)}input.x`).message).toContain('nested too deeply');
    expect(syntaxError(`${'('.repeat(100)}input.x${')'.repeat(100)}`).message).toContain('nested too deeply');
    expect(syntaxError(`input.x == "${'a'.repeat(5000)}"`).message).toContain('longer than 4096');
  });
});
