import { createHash } from 'node:crypto';

/** Step Functions names (executions, state machines): 1–80 characters of this set. */
export const SFN_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_NAME = 80;
const HASH_CHARS = 32;

/** Where a start came from; part of the execution name so sources never collide. */
export type ExecutionSource = 'api' | 'webhook' | 'schedule' | 'queue' | 'subflow';

/**
 * A valid, deterministic Step Functions name `<prefix>-<key>`: the key itself when it is short and
 * uses only `[A-Za-z0-9_-]`, otherwise a readable part of it followed by a hash of the whole
 * key (128 bits of SHA-256), so distinct keys never share a name in practice.
 */
export function boundedName(prefix: string, key: string): string {
  const direct = `${prefix}-${key}`;
  if (SFN_NAME_PATTERN.test(direct)) return direct;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, HASH_CHARS);
  const room = MAX_NAME - prefix.length - HASH_CHARS - 2;
  const readable = key
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, Math.max(0, room))
    .replace(/^_+|_+$/g, '');
  const name = readable.length > 0 ? `${prefix}-${readable}-${hash}` : `${prefix}-${hash}`;
  return name.slice(0, MAX_NAME);
}

/**
 * The execution name of a start: the same `(source, key)` always gives the same name, so Step
 * Functions refuses (or deduplicates) a second start. Pick a key that is unique per start
 * intent, e.g. the store's executionId (which an Idempotency-Key already maps to), the SQS
 * messageId, or `<triggerId>-<scheduled instant>`.
 */
export function executionNameFor(source: ExecutionSource, key: string): string {
  return boundedName(source, key);
}

/**
 * The state machine name of a flow: `<prefix>-<tenant>-<flowId>` for Standard and
 * `<prefix>-<tenant>-<flowId>-express` for Express (hashed when too long or unsafe), so an IAM
 * policy on `stateMachine:<prefix>-*` scopes every FlowForge machine. The type is in the name
 * because a machine's type is fixed at creation: a flow whose next version changes type gets a
 * machine of its own instead of an update across types (which Step Functions refuses).
 */
export function stateMachineNameFor(
  prefix: string,
  tenant: string,
  flowId: string,
  type: 'STANDARD' | 'EXPRESS' = 'STANDARD',
): string {
  const suffix = type === 'EXPRESS' ? '-express' : '';
  const direct = `${prefix}-${tenant}-${flowId}${suffix}`;
  if (SFN_NAME_PATTERN.test(direct)) return direct;
  return boundedName(prefix, `${tenant}-${flowId}${suffix}`);
}
