import type { PayloadRef } from './payload-store.ts';

/** Default of `FLOWFORGE_INLINE_BYTES`: outputs whose JSON is larger are offloaded. */
export const DEFAULT_INLINE_BYTES = 8192;

/** `FLOWFORGE_INLINE_BYTES` when it is a positive integer, else {@link DEFAULT_INLINE_BYTES}. */
export function inlineBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.FLOWFORGE_INLINE_BYTES);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_INLINE_BYTES;
}

/** Subtrees at most this large are never replaced (a reference is ~90 bytes; nothing to gain). */
const MIN_OFFLOAD_BYTES = 256;
/** A child holding at least this share of its parent is offloaded instead of the parent, keeping the parent's small fields inline. */
const DOMINANT_SHARE = 0.5;

/** Keeps one subtree in the store and answers its reference. */
export type PutSubtree = (subtree: unknown) => Promise<PayloadRef>;

/** True for `{ "$ffref": "<key>", "bytes": n }` (exactly those keys). */
export function isPayloadRef(value: unknown): value is PayloadRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  return (
    typeof record.$ffref === 'string' &&
    typeof record.bytes === 'number' &&
    keys.length === 2 &&
    keys.includes('bytes')
  );
}

/** The size of a value as UTF-8 JSON (what Step Functions counts). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

type Container = Record<string, unknown> | unknown[];

interface Candidate {
  parent: Container;
  key: string | number;
  bytes: number;
  replaceable: boolean;
  children: Candidate[];
}

/**
 * The skeleton of `value` whose JSON is at most `limit` bytes (DESIGN.md §2.1, STATE-DESIGN §3):
 * `value` itself when it fits; otherwise a copy in which subtrees are replaced, largest first, by
 * references from `put`, until it fits. When the largest subtree's size is mostly one child's, that
 * child is offloaded instead, so small fields beside it (an http `status`, `body.total`) stay
 * inline for conditions and templates. Small scalars and subtrees of at most 256 bytes are never
 * replaced; when nothing else is left, the whole value becomes one reference. A replaced subtree
 * may itself hold references to subtrees replaced before it ({@link resolveRefs} follows them).
 */
export async function offload(value: unknown, limit: number, put: PutSubtree): Promise<unknown> {
  if (jsonBytes(value) <= limit) return value;
  const root: { value: unknown } = { value: JSON.parse(JSON.stringify(value ?? null)) };
  for (;;) {
    const top = measure(root, 'value');
    if (top.bytes <= limit) return root.value;
    const chosen = pick(top);
    if (!chosen) {
      root.value = await put(root.value);
      return root.value;
    }
    const parent = chosen.parent as Record<string | number, unknown>;
    parent[chosen.key] = await put(parent[chosen.key]);
  }
}

/** The largest replaceable subtree under the root, descending into a dominant child. */
function pick(top: Candidate): Candidate | undefined {
  let chosen = largest(top.children);
  if (!chosen || chosen.bytes <= MIN_OFFLOAD_BYTES) return undefined;
  for (;;) {
    const child = largest(chosen.children);
    if (!child || child.bytes <= MIN_OFFLOAD_BYTES || child.bytes < chosen.bytes * DOMINANT_SHARE)
      return chosen;
    chosen = child;
  }
}

function largest(candidates: Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const candidate of candidates)
    if (candidate.replaceable && (!best || candidate.bytes > best.bytes)) best = candidate;
  return best;
}

/** Sizes of a subtree and of its descendants; only containers and strings are replaceable (references are final). */
function measure(parent: Container | { value: unknown }, key: string | number): Candidate {
  const node = (parent as Record<string | number, unknown>)[key];
  const candidate: Candidate = {
    parent: parent as Container,
    key,
    bytes: 0,
    replaceable: typeof node === 'string',
    children: [],
  };
  if (Array.isArray(node)) {
    candidate.replaceable = true;
    candidate.bytes = 2 + Math.max(0, node.length - 1);
    node.forEach((_, index) => {
      const child = measure(node, index);
      candidate.bytes += child.bytes;
      candidate.children.push(child);
    });
  } else if (typeof node === 'object' && node !== null && !isPayloadRef(node)) {
    candidate.replaceable = true;
    const keys = Object.keys(node);
    candidate.bytes = 2 + Math.max(0, keys.length - 1);
    for (const entry of keys) {
      const child = measure(node as Record<string, unknown>, entry);
      candidate.bytes += Buffer.byteLength(JSON.stringify(entry)) + 1 + child.bytes;
      candidate.children.push(child);
    }
  } else {
    candidate.bytes = jsonBytes(node);
  }
  return candidate;
}
