import { describe, expect, it } from 'vitest';
import { checkInputSchema } from '../../../lib/triggers/check-input-schema.ts';

describe('checkInputSchema', () => {
  it('compares const and enum objects whatever their key order, and reads every keyword (issue 11)', () => {
    const strict = {
      type: 'object',
      properties: {
        pick: { const: { a: 1, b: [1, { c: 2, d: 3 }] } },
        shape: { enum: [{ x: 1, y: 2 }] },
        either: {
          oneOf: [
            { type: 'string', format: 'email' },
            { type: 'integer', multipleOf: 5 },
          ],
        },
        ref: { $ref: '#/$defs/positive' },
        uniq: { type: 'array', uniqueItems: true },
      },
      $defs: { positive: { type: 'number', exclusiveMinimum: 0 } },
      propertyNames: { pattern: '^[a-z]+$' },
    };
    expect(
      checkInputSchema(strict, {
        pick: { b: [1, { d: 3, c: 2 }], a: 1 },
        shape: { y: 2, x: 1 },
        either: 10,
        ref: 1,
      }),
    ).toEqual([]);
    const paths = checkInputSchema(strict, { either: 7, ref: 0, uniq: [1, 1], Bad: 1 }).map(
      (issue) => issue.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['/either', '/ref', '/uniq']));
  });

  const schema = {
    type: 'object',
    required: ['orderId', 'items'],
    additionalProperties: false,
    properties: {
      orderId: { type: 'string', pattern: '^o-' },
      count: { type: 'integer', minimum: 1, maximum: 5 },
      kind: { enum: ['a', 'b'] },
      items: { type: 'array', minItems: 1, items: { type: 'object', required: ['sku'] } },
      note: { type: ['string', 'null'], maxLength: 3 },
    },
  };

  it('accepts a matching input', () => {
    expect(
      checkInputSchema(schema, { orderId: 'o-1', count: 2, kind: 'a', items: [{ sku: 'x' }], note: null }),
    ).toEqual([]);
  });

  it('names each problem with a JSON pointer', () => {
    const issues = checkInputSchema(schema, {
      orderId: 'x-1',
      count: 1.5,
      kind: 'c',
      items: [{}],
      note: 'long',
      'extra/1': true,
    } as Record<string, unknown>);
    expect(issues.map((issue) => issue.path).sort()).toEqual(
      ['/count', '/extra~11', '/items/0/sku', '/kind', '/note', '/orderId'].sort(),
    );
  });

  it('reports a missing required field and a wrong root type', () => {
    expect(checkInputSchema(schema, { orderId: 'o-1' })).toEqual([
      { path: '/items', message: 'is required' },
    ]);
    expect(checkInputSchema(schema, 'text')).toEqual([
      { path: '', message: 'Instance type "string" is invalid. Expected "object".' },
    ]);
  });
});
