import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalPayloadStore } from '../../../lib/payloads/local-payload-store.ts';
import {
  checkPayloadKey,
  executionKeyPrefix,
  InvalidPayloadKeyError,
  PayloadNotFoundError,
  PayloadStoreUnavailableError,
} from '../../../lib/payloads/payload-store.ts';
import { createS3PayloadStore } from '../../../lib/payloads/s3-payload-store.ts';

const scope = { tenant: 'acme', flowId: 'flow-1', executionId: 'api-abc', nodeId: 'fetch' };

describe('payload keys', () => {
  it('start with <tenant>/<flowId>/<executionId>/<nodeId>/ and end with 128 random bits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ff-payloads-'));
    const store = createLocalPayloadStore(dir);
    const a = await store.putJson(scope, { n: 1 });
    const b = await store.putJson(scope, { n: 1 });
    expect(a.$ffref.startsWith('acme/flow-1/api-abc/fetch/')).toBe(true);
    expect(a.$ffref).toMatch(/^acme\/flow-1\/api-abc\/fetch\/[A-Za-z0-9_-]{22}\.json$/);
    expect(a.$ffref).not.toBe(b.$ffref);
    expect(a.$ffref.startsWith(executionKeyPrefix(scope))).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuse anything else before reading (no path traversal)', () => {
    for (const key of [
      '../x',
      'a/b/c/../../../../etc/passwd',
      'a/b/c/d.json',
      '/a/b/c/AAAAAAAAAAAAAAAAAAAAAA.json',
      7,
    ])
      expect(() => checkPayloadKey(key)).toThrow(InvalidPayloadKeyError);
    expect(checkPayloadKey('t/a/b/c/AAAAAAAAAAAAAAAAAAAAAA.json')).toBe(
      't/a/b/c/AAAAAAAAAAAAAAAAAAAAAA.json',
    );
    expect(checkPayloadKey('~/a/b/c/AAAAAAAAAAAAAAAAAAAAAA.json')).toBe(
      '~/a/b/c/AAAAAAAAAAAAAAAAAAAAAA.json',
    );
  });

  it('make unsafe scope values safe', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ff-payloads-'));
    const store = createLocalPayloadStore(dir);
    const ref = await store.putJson({ flowId: 'my flow/..', executionId: 'local-1', nodeId: 'n' }, 1);
    // No tenant (flowforge run): the segment `~`, which no tenant id can be.
    expect(ref.$ffref.startsWith('~/my_flow___/local-1/n/')).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('local payload store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ff-payloads-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps JSON and bytes as files under its folder and reads them back', async () => {
    const store = createLocalPayloadStore(dir);
    const ref = await store.putJson(scope, { big: 'x'.repeat(1000) });
    expect(ref.bytes).toBe(JSON.stringify({ big: 'x'.repeat(1000) }).length);
    expect(await store.getJson(ref.$ffref)).toEqual({ big: 'x'.repeat(1000) });
    const file = await store.putBytes(scope, new Uint8Array([1, 2, 3]));
    expect(file.bytes).toBe(3);
    expect([...(await store.getBytes(file.key))]).toEqual([1, 2, 3]);
    expect(await readdir(join(dir, 'acme', 'flow-1', 'api-abc', 'fetch'))).toHaveLength(2);
  });

  it('answers PayloadNotFound for a well-formed key it does not hold', async () => {
    const store = createLocalPayloadStore(dir);
    await expect(
      store.getJson('acme/flow-1/api-abc/fetch/AAAAAAAAAAAAAAAAAAAAAA.json'),
    ).rejects.toBeInstanceOf(PayloadNotFoundError);
  });
});

describe('S3 payload store (exact SDK calls)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('putJson sends one PutObject to the bucket under the new key, JSON body and content type', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = createS3PayloadStore({
      client: new S3Client({ region: 'eu-west-1' }),
      bucket: 'payloads-bucket',
    });
    const ref = await store.putJson(scope, { a: 1 });
    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.Bucket).toBe('payloads-bucket');
    expect(input?.Key).toBe(ref.$ffref);
    expect(input?.ContentType).toBe('application/json');
    expect(Buffer.from(input?.Body as Uint8Array).toString()).toBe('{"a":1}');
    expect(ref.bytes).toBe(7);
    expect(s3.calls()).toHaveLength(1);
  });

  it('getJson sends one GetObject for the key and parses the body', async () => {
    const key = 'acme/flow-1/api-abc/fetch/AAAAAAAAAAAAAAAAAAAAAA.json';
    s3.on(GetObjectCommand, { Bucket: 'payloads-bucket', Key: key }).resolves({
      // The SDK's stream mixin gives Body this method; the store uses nothing else of it.
      Body: { transformToByteArray: async () => new Uint8Array(Buffer.from('{"b":[1,2]}')) } as never,
    });
    const store = createS3PayloadStore({
      client: new S3Client({ region: 'eu-west-1' }),
      bucket: 'payloads-bucket',
    });
    expect(await store.getJson(key)).toEqual({ b: [1, 2] });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'payloads-bucket',
      Key: key,
    });
  });

  it('translates NoSuchKey to PayloadNotFound and other errors to PayloadStoreUnavailable, and sends nothing for a bad key', async () => {
    const key = 'acme/flow-1/api-abc/fetch/AAAAAAAAAAAAAAAAAAAAAA.json';
    const store = createS3PayloadStore({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'b' });
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    await expect(store.getJson(key)).rejects.toBeInstanceOf(PayloadNotFoundError);
    s3.reset();
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(store.getJson(key)).rejects.toBeInstanceOf(PayloadStoreUnavailableError);
    s3.reset();
    await expect(store.getJson('../../etc/passwd')).rejects.toBeInstanceOf(InvalidPayloadKeyError);
    expect(s3.calls()).toHaveLength(0);
  });
});
