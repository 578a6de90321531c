import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../lib/store/errors.ts';
import { decodeCursor, encodeCursor } from '../../../lib/store/query.ts';

const flowsListing = {
  scope: 'flows|T#acme#FLOWS',
  index: 'gsi1' as const,
  partition: 'T#acme#FLOWS',
  pkPrefix: 'T#acme#',
};
const key = {
  pk: 'T#acme#FLOW#f1',
  sk: 'HEAD',
  gsi1pk: 'T#acme#FLOWS',
  gsi1sk: '2026-01-01T00:00:00.000Z#f1',
};

describe('pagination cursors', () => {
  it('round-trip a key', () => {
    expect(decodeCursor(encodeCursor(flowsListing.scope, key), flowsListing)).toEqual(key);
  });

  it('refuse another listing, another tenant, extra or missing attributes', () => {
    const bad = [
      encodeCursor('versions|T#acme#FLOW#f1', key),
      encodeCursor('flows|T#other#FLOWS', { ...key, gsi1pk: 'T#other#FLOWS' }),
      encodeCursor(flowsListing.scope, { ...key, pk: 'T#other#FLOW#f1' }),
      encodeCursor(flowsListing.scope, { ...key, gsi1pk: 'T#other#FLOWS' }),
      encodeCursor(flowsListing.scope, { ...key, extra: 'x' }),
      encodeCursor(flowsListing.scope, { pk: key.pk, sk: key.sk }),
      Buffer.from(
        '{"s":"flows|T#acme#FLOWS","k":{"pk":1,"sk":"HEAD","gsi1pk":"T#acme#FLOWS","gsi1sk":"x"}}',
      ).toString('base64url'),
      Buffer.from('null').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
      'not base64!',
      '',
      'A'.repeat(5000),
    ];
    for (const cursor of bad)
      expect(() => decodeCursor(cursor, flowsListing), cursor).toThrow(InvalidCursorError);
  });

  it('never accept arbitrary strings as anything but a key of the listed partition', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (cursor) => {
        try {
          const decoded = decodeCursor(cursor, flowsListing);
          expect(decoded.gsi1pk).toBe('T#acme#FLOWS');
          expect(decoded.pk?.startsWith('T#acme#')).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidCursorError);
        }
      }),
    );
  });
});
