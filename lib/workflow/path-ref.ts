/**
 * Data paths shared by templates and conditions (DESIGN.md §2): `input.…`, `nodes.<id>.output.…`,
 * `nodes.<id>.status`, `nodes.<id>.error.…` and `execution.(id|startedAt|flowId|version|trigger)`;
 * inside a forEach body also `item.…` (the element) and `index` (its 0-based position). That
 * `item`/`index` appear only inside a body is a validation rule (`checks/foreach-bodies.ts`).
 */

export type PathSegment = string | number;

/** A parsed data path. `segments` starts with the root (`input`, `nodes` or `execution`). */
export interface PathRef {
  segments: PathSegment[];
  /** The path as written (trimmed). */
  text: string;
  /** For `nodes.<id>.…` paths, the node the path reads. */
  nodeId?: string;
}

/** Roots that only exist inside a forEach body (DESIGN.md §2.1). */
export const BODY_ROOTS: ReadonlySet<string> = new Set(['item', 'index']);

/** True for an `item.…` or `index` path. */
export function isBodyPath(ref: PathRef): boolean {
  return typeof ref.segments[0] === 'string' && BODY_ROOTS.has(ref.segments[0]);
}

/** Thrown for a malformed path, template or condition; `position` is a 0-based offset into the source text. */
export class ExpressionSyntaxError extends Error {
  override name = 'ExpressionSyntaxError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1})`);
  }
}

const EXECUTION_FIELDS = new Set(['id', 'startedAt', 'flowId', 'version', 'trigger']);
const NODE_FIELDS = new Set(['output', 'status', 'error']);

/**
 * Checks that a list of segments is a path the language knows and returns it as a `PathRef`.
 * Throws `ExpressionSyntaxError` (at `position`) naming what is wrong.
 */
export function toPathRef(segments: PathSegment[], text: string, position: number): PathRef {
  const [root, second, third] = segments;
  if (root === 'input' || root === 'item') return { segments, text };
  if (root === 'index') {
    if (segments.length > 1)
      throw new ExpressionSyntaxError(`"${text}": index is a number and has no fields`, position);
    return { segments, text };
  }
  if (root === 'execution') {
    if (typeof second !== 'string' || !EXECUTION_FIELDS.has(second)) {
      throw new ExpressionSyntaxError(
        `"${text}": execution paths are execution.id, execution.startedAt, execution.flowId, execution.version or execution.trigger`,
        position,
      );
    }
    return { segments, text };
  }
  if (root === 'nodes') {
    if (typeof second !== 'string') {
      throw new ExpressionSyntaxError(`"${text}": expected a node id after "nodes."`, position);
    }
    if (typeof third !== 'string' || !NODE_FIELDS.has(third)) {
      throw new ExpressionSyntaxError(
        `"${text}": a node path continues with .output, .status or .error (nodes.${second}.output…)`,
        position,
      );
    }
    if (third === 'status' && segments.length > 3) {
      throw new ExpressionSyntaxError(`"${text}": nodes.${second}.status has no fields`, position);
    }
    return { segments, text, nodeId: second };
  }
  throw new ExpressionSyntaxError(
    `"${text}": a path starts with input., nodes.<id>. or execution. (inside a forEach body also item. or index)`,
    position,
  );
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The ASL JSONPath of a data path: `$.nodes.a.output.items[0]`, `$.nodes['my-node'].status`. */
export function toJsonPath(ref: PathRef): string {
  let out = '$';
  for (const segment of ref.segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += `.${segment}`;
    else out += `['${segment.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
  }
  return out;
}

/** Reads a path from a plain object (for reference evaluators and local tools); `undefined` when missing. */
export function readPath(data: unknown, ref: PathRef): unknown {
  let current: unknown = data;
  for (const segment of ref.segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}
