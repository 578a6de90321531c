import { createHash } from 'node:crypto';

/** A JSON value with every object's keys sorted, so equal documents serialise to equal text. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    // defineProperty: a `__proto__` key stays a key instead of replacing the prototype.
    Object.defineProperty(out, key, {
      value: canonical((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Hex SHA-256 of the canonical JSON of `value`: equal for documents that differ only in key order. */
export const canonicalHash = (value: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(canonical(value)) ?? 'undefined')
    .digest('hex');
