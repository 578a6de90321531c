/**
 * The one JSON reader of every entry point (API bodies, webhooks, queue messages, CLI files and
 * `--input`): `JSON.parse` plus the limits hostile input needs. A document nested deeper than
 * `maxDepth` would overflow the stack of every recursive step after it (validation, templates,
 * the store's codec); a number outside the doubles (`1e309`) would silently become `null` when the
 * value is written out again; a `__proto__` key would vanish (or change a prototype) in the first
 * copy made by assignment. Each is refused with the JSON pointer (or offset) where it is.
 */

/** The default nesting limit (objects and arrays): far beyond any real document, far below any stack. */
export const MAX_JSON_DEPTH = 128;

/** Keys a document may not hold: copies made by assignment lose them or change a prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** The text is JSON, but outside what FlowForge reads; `path` is a JSON pointer ('' for the root). */
export class JsonReadError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'JsonReadError';
  }
}

export interface ReadJsonOptions {
  /** Deepest nesting of objects and arrays (default {@link MAX_JSON_DEPTH}). */
  maxDepth?: number;
}

/**
 * Parses `text` as JSON. Throws the `SyntaxError` of `JSON.parse` for text that is not JSON, and a
 * {@link JsonReadError} for a document nested deeper than `maxDepth`, holding a non-finite number,
 * or holding a `__proto__` key.
 */
export function readJson(text: string, options: ReadJsonOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  checkDepth(text, maxDepth);
  const value: unknown = JSON.parse(text);
  checkValue(value, '');
  return value;
}

/** Checks an already parsed value the way {@link readJson} checks a text (depth, numbers, keys). */
export function checkJsonValue(value: unknown, options: ReadJsonOptions = {}): void {
  checkValue(value, '', 0, options.maxDepth ?? MAX_JSON_DEPTH);
}

const escapeKey = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** Counts bracket depth outside strings, before parsing (so that parsing itself never goes deep). */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > maxDepth) {
        throw new JsonReadError(`JSON nested deeper than ${maxDepth} levels (at character offset ${i})`, '');
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

function checkValue(value: unknown, path: string, depth = 0, maxDepth = Number.POSITIVE_INFINITY): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new JsonReadError(
        `number at ${path || '/'} is outside the range of JSON numbers FlowForge keeps (±1.8e308)`,
        path,
      );
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= maxDepth)
    throw new JsonReadError(`JSON nested deeper than ${maxDepth} levels at ${path}`, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkValue(value[i], `${path}/${i}`, depth + 1, maxDepth);
    return;
  }
  for (const key of Object.keys(value)) {
    const at = `${path}/${escapeKey(key)}`;
    if (FORBIDDEN_KEYS.has(key)) {
      throw new JsonReadError(`the key "${key}" is not allowed (at ${at}): it would be lost when copied`, at);
    }
    checkValue((value as Record<string, unknown>)[key], at, depth + 1, maxDepth);
  }
}
