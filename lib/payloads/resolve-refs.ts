import { isPayloadRef } from './offload.ts';

/** Reads the value behind a reference's key (`PayloadStore.getJson` fits). */
export type GetPayload = (key: string) => Promise<unknown>;

/** Options of {@link resolveRefs}. */
export interface ResolveRefsOptions {
  /** Only references whose key passes are resolved; the others stay as they are (default: all). */
  allow?: (key: string) => boolean;
  /** A reference whose read fails with an error this accepts stays as it is (default: every error is thrown). */
  keepOnError?: (error: unknown) => boolean;
}

/** How deep references inside resolved values are followed (offload nests them at most a few levels). */
const MAX_DEPTH = 16;

/**
 * `value` with every `{ "$ffref", "bytes" }` object anywhere in it replaced by the stored value
 * (STATE-DESIGN §4: consumers see large outputs as if inline). References inside a resolved value
 * are resolved too; each key is read once per call. Values without references are returned as they
 * are (same object), others as a copy: the input is never changed.
 */
export async function resolveRefs(
  value: unknown,
  get: GetPayload,
  options: ResolveRefsOptions = {},
): Promise<unknown> {
  const cache = new Map<string, Promise<unknown>>();
  const bytesOf = new Map<string, number>();
  const read = (key: string, depth: number): Promise<unknown> => {
    let found = cache.get(key);
    if (!found) {
      found = get(key).then(
        (stored) => walk(stored, depth + 1),
        (error: unknown) => {
          if (options.keepOnError?.(error)) return { $ffref: key, bytes: bytesOf.get(key) };
          throw error;
        },
      );
      cache.set(key, found);
    }
    return found;
  };
  const walk = async (node: unknown, depth: number): Promise<unknown> => {
    if (typeof node !== 'object' || node === null) return node;
    if (isPayloadRef(node)) {
      if (depth > MAX_DEPTH || (options.allow && !options.allow(node.$ffref))) return node;
      bytesOf.set(node.$ffref, node.bytes);
      return read(node.$ffref, depth);
    }
    if (!containsRef(node)) return node;
    if (Array.isArray(node)) return Promise.all(node.map((item) => walk(item, depth)));
    const entries = await Promise.all(
      Object.entries(node).map(async ([key, child]) => [key, await walk(child, depth)] as const),
    );
    return Object.fromEntries(entries);
  };
  return walk(value, 0);
}

/** True when a reference appears anywhere in `value`. */
export function containsRef(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isPayloadRef(value)) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some(containsRef);
}

/** The keys of every reference in `value` (not inside resolved values), each once. */
export function refKeys(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (typeof value !== 'object' || value === null) return found;
  if (isPayloadRef(value)) found.add(value.$ffref);
  else for (const child of Array.isArray(value) ? value : Object.values(value)) refKeys(child, found);
  return found;
}
