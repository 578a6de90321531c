import { describe, expect, it } from 'vitest';
import {
  GZIP_THRESHOLD_BYTES,
  isExpired,
  packedSize,
  packJson,
  sha256Hex,
  unpackJson,
} from '../../../lib/store/codec.ts';
import { tableDefinition } from '../../../lib/store/table.ts';

describe('packJson / unpackJson', () => {
  it('keeps small documents as JSON text and gzips large ones', () => {
    const small = { a: 1, nested: [{ b: 'c' }] };
    expect(packJson(small)).toBe(JSON.stringify(small));
    expect(unpackJson(packJson(small))).toEqual(small);
    const large = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, label: `row ${i}` })) };
    const packed = packJson(large);
    expect(packed).toBeInstanceOf(Uint8Array);
    expect(packedSize(packed)).toBeLessThan(JSON.stringify(large).length / 3);
    expect(unpackJson(packed)).toEqual(large);
    expect(Buffer.byteLength(JSON.stringify(large))).toBeGreaterThan(GZIP_THRESHOLD_BYTES);
  });

  it('stores documents deeper than DynamoDB maps allow and undefined as null', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 64; i++) deep = { d: deep };
    expect(unpackJson(packJson(deep))).toEqual(deep);
    expect(unpackJson(packJson(undefined))).toBeNull();
  });
});

describe('helpers', () => {
  it('hashes and checks expiry', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const now = new Date('2026-01-01T00:00:10Z');
    expect(isExpired({ expiresAt: now.getTime() / 1000 - 1 }, now)).toBe(true);
    expect(isExpired({ expiresAt: now.getTime() / 1000 + 1 }, now)).toBe(false);
    expect(isExpired({}, now)).toBe(false);
  });

  it('defines the table with the key names the CDK stack mirrors', () => {
    const definition = tableDefinition('t');
    expect(definition.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(definition.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['gsi1', 'gsi2']);
    expect(definition.BillingMode).toBe('PAY_PER_REQUEST');
  });
});
