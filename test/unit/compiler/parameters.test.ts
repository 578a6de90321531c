import { describe, expect, it } from 'vitest';
import { compileObject, compileString, intrinsicString } from '../../../lib/compiler/parameters.ts';
import { CompileError } from '../../../lib/compiler/types.ts';

describe('templates to Parameters', () => {
  it('keeps strings without templates literal', () => {
    expect(compileString('plain {text}')).toEqual({ literal: 'plain {text}' });
  });

  it('turns one whole template into a path that keeps the type', () => {
    expect(compileString('{{ nodes.a.output }}')).toEqual({ expression: '$.nodes.a.output' });
    expect(compileString('{{ nodes.my-node.output.items[0] }}')).toEqual({
      expression: "$.nodes['my-node'].output.items[0]",
    });
  });

  it('formats mixed text with escaped quotes and braces', () => {
    expect(compileString("it's {x}: {{ input.a }} and {{ input.b }}")).toEqual({
      expression: "States.Format('it\\'s \\{x\\}: {} and {}', $.input.a, $.input.b)",
    });
  });

  it('passes a literal backslash as an argument (asl-validator refuses the escaped form)', () => {
    expect(compileString('a\\b {{ input.x }}')).toEqual({
      expression: "States.Format('a{}b {}', States.Base64Decode('XA=='), $.input.x)",
    });
  });

  it('leaves secret references as literal text, also inside formatted strings', () => {
    expect(compileString('Bearer {{ secret:ssm:/api/token }}')).toEqual({
      literal: 'Bearer {{ secret:ssm:/api/token }}',
    });
    expect(compileString('{{ secret:sm:key }}/{{ input.id }}')).toEqual({
      expression: "States.Format('\\{\\{ secret:sm:key \\}\\}/{}', $.input.id)",
    });
  });

  it('compiles nested objects and arrays of templates', () => {
    expect(
      compileObject({
        a: { b: '{{ input.b }}', c: 1 },
        list: ['x', '{{ input.y }}', 2, 'n {{ input.z }}'],
        fixed: [1, 'two'],
      }),
    ).toEqual({
      a: { 'b.$': '$.input.b', c: 1 },
      'list.$': "States.Array('x', $.input.y, 2, States.Format('n {}', $.input.z))",
      fixed: [1, 'two'],
    });
  });

  it('refuses keys ending in .$ and objects with templates inside arrays', () => {
    expect(() => compileObject({ 'evil.$': 'x' })).toThrow(CompileError);
    expect(() => compileObject({ list: [{ a: '{{ input.a }}' }] })).toThrow(/only strings, numbers/);
  });

  it('escapes intrinsic strings', () => {
    expect(intrinsicString("a'b{c}d\\")).toBe("'a\\'b\\{c\\}d\\\\'");
  });
});
