import { describe, expect, it } from 'vitest';
import { ExpressionSyntaxError } from '../../../lib/workflow/path-ref.ts';
import { escapePointer, hasTemplate, parseTemplate, stringsIn } from '../../../lib/workflow/template.ts';

function syntaxError(source: string): ExpressionSyntaxError {
  try {
    parseTemplate(source);
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return error;
    throw error;
  }
  throw new Error(`"${source}" parsed`);
}

describe('parseTemplate', () => {
  it('splits text and paths and tells a whole-value template apart', () => {
    expect(parseTemplate('{{ nodes.a.output }}')).toMatchObject({
      whole: true,
      parts: [{ kind: 'path', start: 3 }],
    });
    const mixed = parseTemplate('Order {{input.id}} for {{ nodes.fetch.output.body.name }}!');
    expect(mixed.whole).toBe(false);
    expect(mixed.parts.map((p) => p.kind)).toEqual(['text', 'path', 'text', 'path', 'text']);
    expect(mixed.parts[3]).toMatchObject({ ref: { nodeId: 'fetch' } });
    expect(parseTemplate('plain').parts).toEqual([{ kind: 'text', text: 'plain' }]);
  });
  it('keeps secret references for the action', () => {
    expect(parseTemplate('Bearer {{ secret:ssm:/app/token }}').parts[1]).toMatchObject({
      kind: 'secret',
      store: 'ssm',
      name: '/app/token',
    });
  });
  it('reports errors with positions inside the string', () => {
    const cases: Array<[string, string, number]> = [
      ['a {{ input.x', '"{{" without a closing "}}"', 2],
      ['{{ }}', 'empty template', 0],
      ['{{ input.x y }}', 'unexpected " y" after the path', 10],
      ['xx {{ foo.bar }}', 'a path starts with input.', 6],
      ['{{ secret:vault:x }}', 'a secret reference is', 3],
      ['{{ input.[0] }}', 'expected a name in the path', 9],
    ];
    for (const [source, message, position] of cases) {
      const error = syntaxError(source);
      expect(error.message, source).toContain(message);
      expect(error.position, source).toBe(position);
    }
  });
  it('finds every string in a JSON value with its pointer', () => {
    const found = [...stringsIn({ a: ['x', { 'b/c': 'y', n: 1 }], 'd~': 'z' }, '/config')];
    expect(found).toEqual([
      { value: 'x', pointer: '/config/a/0' },
      { value: 'y', pointer: '/config/a/1/b~1c' },
      { value: 'z', pointer: '/config/d~0' },
    ]);
    expect(escapePointer('a~/b')).toBe('a~0~1b');
    expect(hasTemplate('x {{ y }}')).toBe(true);
    expect(hasTemplate('x { y }')).toBe(false);
  });
});
