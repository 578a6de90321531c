import { ExpressionSyntaxError, type PathRef, type PathSegment, toPathRef } from './path-ref.ts';

const IDENT_START = /[A-Za-z_$]/;
const SEGMENT = /[A-Za-z0-9_$-]+/y;

/**
 * Scans a path starting at `start` in `source`: `root(.segment | [index] | ["key"])*`.
 * Returns the checked `PathRef` and the offset just after it.
 */
export function scanPath(source: string, start: number): { ref: PathRef; end: number } {
  let i = start;
  const segments: PathSegment[] = [];
  if (!IDENT_START.test(source.charAt(i))) throw new ExpressionSyntaxError('expected a path', i);
  let word = readWord(source, i);
  segments.push(word);
  i += word.length;
  for (;;) {
    const c = source.charAt(i);
    if (c === '.') {
      i++;
      word = readWord(source, i);
      segments.push(word);
      i += word.length;
    } else if (c === '[') {
      i++;
      const q = source.charAt(i);
      if (q === '"' || q === "'") {
        const { value, end } = scanString(source, i);
        segments.push(value);
        i = end;
      } else {
        const from = i;
        while (/[0-9]/.test(source.charAt(i))) i++;
        if (i === from) throw new ExpressionSyntaxError('expected an index or a quoted key inside [ ]', i);
        segments.push(Number(source.slice(from, i)));
      }
      if (source.charAt(i) !== ']') throw new ExpressionSyntaxError('expected "]"', i);
      i++;
    } else break;
  }
  return { ref: toPathRef(segments, source.slice(start, i), start), end: i };
}

/** The path segment name at `at` (a module function, not a closure: scanning allocates no functions). */
function readWord(source: string, at: number): string {
  SEGMENT.lastIndex = at;
  const word = SEGMENT.exec(source)?.[0];
  if (word === undefined) throw new ExpressionSyntaxError('expected a name in the path', at);
  return word;
}

/** Scans a quoted string (single or double quotes, backslash escapes) starting at its opening quote. */
export function scanString(source: string, start: number): { value: string; end: number } {
  const quote = source.charAt(start);
  let i = start + 1;
  let value = '';
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === quote) return { value, end: i + 1 };
    if (c === '\\') {
      const n = source.charAt(i + 1);
      const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
      const mapped = escapes[n];
      if (mapped === undefined) throw new ExpressionSyntaxError(`unknown escape "\\${n}"`, i);
      value += mapped;
      i += 2;
    } else {
      value += c;
      i++;
    }
  }
  throw new ExpressionSyntaxError('unterminated string', start);
}
