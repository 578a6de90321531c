/**
 * Encoding of JSON documents inside items. Documents are stored as JSON strings (never native
 * maps: user data may nest deeper than DynamoDB's 32 levels or hold numbers DynamoDB cannot), and
 * as gzip Binary when the JSON is larger than `GZIP_THRESHOLD_BYTES`.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { StoreError } from './errors.ts';

/** JSON larger than this is gzip-compressed before it is stored. */
export const GZIP_THRESHOLD_BYTES = 4096;

/** Encodes a JSON value: a string (JSON text) or a Uint8Array (gzip of the JSON text). */
export function packJson(value: unknown): string | Uint8Array {
  return packJsonText(JSON.stringify(value ?? null));
}

/** `packJson` of a value already serialised to `text` (its `JSON.stringify`). */
export function packJsonText(text: string): string | Uint8Array {
  if (Buffer.byteLength(text) <= GZIP_THRESHOLD_BYTES) return text;
  return new Uint8Array(gzipSync(text));
}

/** Always gzip (for documents that are split into parts when large). */
export function gzipJson(value: unknown): Uint8Array {
  return new Uint8Array(gzipSync(JSON.stringify(value ?? null)));
}

/** Decodes what `packJson`/`gzipJson` stored. */
export function unpackJson(stored: unknown): unknown {
  if (stored === undefined) return undefined;
  if (typeof stored === 'string') return JSON.parse(stored);
  if (stored instanceof Uint8Array) return JSON.parse(gunzipSync(stored).toString('utf8'));
  throw new StoreError(`cannot decode a stored document of type ${typeof stored}`);
}

/** Byte size of a packed value as DynamoDB counts it (strings UTF-8, binary raw). */
export function packedSize(packed: string | Uint8Array | undefined): number {
  if (packed === undefined) return 0;
  return typeof packed === 'string' ? Buffer.byteLength(packed) : packed.byteLength;
}

/** Hex SHA-256, used to key secrets and arbitrary client strings without storing them. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Epoch seconds of a date. */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** True when an item's `expiresAt` (epoch seconds) has passed: dynalite has no TTL, so readers check. */
export function isExpired(item: Record<string, unknown>, now: Date): boolean {
  const expiresAt = item.expiresAt;
  return typeof expiresAt === 'number' && expiresAt <= epochSeconds(now);
}

/** Drops `undefined` properties so items marshal without `removeUndefinedValues`. */
export function compact<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined)) as T;
}
