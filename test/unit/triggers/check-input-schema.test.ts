import { describe, expect, it } from 'vitest';
import { checkInputSchema } from '../../../lib/triggers/check-input-schema.ts';

describe('checkInputSchema', () => {
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
      { path: '', message: 'must be of type object, got string' },
    ]);
  });
});
