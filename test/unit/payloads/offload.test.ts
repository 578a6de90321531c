import { describe, expect, it } from 'vitest';
import { isPayloadRef, jsonBytes, offload } from '../../../lib/payloads/offload.ts';
import type { PayloadRef } from '../../../lib/payloads/payload-store.ts';
import { resolveRefs } from '../../../lib/payloads/resolve-refs.ts';

/** An in-memory put/get pair that counts writes. */
function memoryStore() {
  const objects = new Map<string, string>();
  let n = 0;
  return {
    objects,
    put: async (subtree: unknown): Promise<PayloadRef> => {
      const body = JSON.stringify(subtree);
      const key = `f/e/n/${String(n++).padStart(22, '0')}.json`;
      objects.set(key, body);
      return { $ffref: key, bytes: Buffer.byteLength(body) };
    },
    get: async (key: string): Promise<unknown> => {
      const body = objects.get(key);
      if (body === undefined) throw new Error(`missing ${key}`);
      return JSON.parse(body);
    },
  };
}

const rows = (count: number, width: number) =>
  Array.from({ length: count }, (_, i) => ({ id: i, text: 'x'.repeat(width) }));

describe('offload (largest subtrees first, small scalars inline)', () => {
  it('returns a value under the limit unchanged and writes nothing', async () => {
    const store = memoryStore();
    const value = { status: 200, body: { ok: true } };
    expect(await offload(value, 8192, store.put)).toBe(value);
    expect(store.objects.size).toBe(0);
  });

  it('keeps an http status and headers inline and replaces the large body', async () => {
    const store = memoryStore();
    const value = { status: 200, headers: { 'content-type': 'application/json' }, body: rows(2000, 300) };
    const skeleton = (await offload(value, 8192, store.put)) as Record<string, unknown>;
    expect(skeleton.status).toBe(200);
    expect(skeleton.headers).toEqual({ 'content-type': 'application/json' });
    expect(isPayloadRef(skeleton.body)).toBe(true);
    expect((skeleton.body as PayloadRef).bytes).toBe(jsonBytes(value.body));
    expect(jsonBytes(skeleton)).toBeLessThanOrEqual(8192);
    expect(await resolveRefs(skeleton, store.get)).toEqual(value);
  });

  it('descends into a dominant child so its small siblings stay inline', async () => {
    const store = memoryStore();
    const value = { status: 200, body: { total: 2000, items: rows(2000, 300) } };
    const skeleton = (await offload(value, 8192, store.put)) as { body: Record<string, unknown> };
    expect(skeleton.body.total).toBe(2000);
    expect(isPayloadRef(skeleton.body.items)).toBe(true);
    expect(await resolveRefs(skeleton, store.get)).toEqual(value);
  });

  it('replaces several subtrees, largest first, until the skeleton fits', async () => {
    const store = memoryStore();
    const value = { a: 'a'.repeat(6000), b: 'b'.repeat(5000), c: 'c'.repeat(4000), d: 'small' };
    const skeleton = (await offload(value, 8192, store.put)) as Record<string, unknown>;
    expect(isPayloadRef(skeleton.a)).toBe(true);
    expect(isPayloadRef(skeleton.b)).toBe(true);
    expect(skeleton.c).toBe(value.c);
    expect(skeleton.d).toBe('small');
    expect(store.objects.size).toBe(2);
    expect(await resolveRefs(skeleton, store.get)).toEqual(value);
  });

  it('turns a value with nothing large to replace into one reference', async () => {
    const store = memoryStore();
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]));
    const skeleton = await offload(many, 8192, store.put);
    expect(isPayloadRef(skeleton)).toBe(true);
    expect(await resolveRefs(skeleton, store.get)).toEqual(many);
    const text = 'y'.repeat(20_000);
    const ref = await offload(text, 8192, store.put);
    expect(isPayloadRef(ref)).toBe(true);
    expect(await resolveRefs(ref, store.get)).toBe(text);
  });

  it('does not change its input', async () => {
    const store = memoryStore();
    const value = { body: rows(100, 200) };
    const copy = structuredClone(value);
    await offload(value, 1024, store.put);
    expect(value).toEqual(copy);
  });
});

describe('resolveRefs', () => {
  it('resolves references anywhere, follows nested ones and reads each key once', async () => {
    const store = memoryStore();
    let reads = 0;
    const inner = await store.put({ deep: [1, 2, 3] });
    const outer = await store.put({ inner });
    const get = (key: string) => {
      reads++;
      return store.get(key);
    };
    const value = { a: [outer, { same: outer }], b: 'plain', c: inner };
    const resolved = await resolveRefs(value, get);
    expect(resolved).toEqual({
      a: [{ inner: { deep: [1, 2, 3] } }, { same: { inner: { deep: [1, 2, 3] } } }],
      b: 'plain',
      c: { deep: [1, 2, 3] },
    });
    expect(reads).toBe(2);
  });

  it('returns a value without references as the same object', async () => {
    const value = { a: { b: [1, { c: 2 }] } };
    expect(await resolveRefs(value, () => Promise.reject(new Error('no read expected')))).toBe(value);
  });

  it('leaves references that `allow` refuses as they are', async () => {
    const store = memoryStore();
    const ref = await store.put({ secret: 1 });
    const resolved = await resolveRefs({ x: ref }, store.get, { allow: (key) => key.startsWith('other/') });
    expect(resolved).toEqual({ x: ref });
  });

  it('treats objects with other keys beside $ffref as plain data', async () => {
    const value = { $ffref: 'f/e/n/x.json', bytes: 3, extra: true };
    expect(isPayloadRef(value)).toBe(false);
    expect(await resolveRefs(value, () => Promise.reject(new Error('no read')))).toBe(value);
  });
});
