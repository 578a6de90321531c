import { ExpressionSyntaxError, type PathRef } from './path-ref.ts';
import { scanPath } from './path-scanner.ts';

/**
 * Templates `{{ path }}` inside config strings (DESIGN.md §2). A string that is exactly one
 * template keeps the value's type; mixed text is formatted as a string. `{{ secret:<name> }}` (the
 * tenant's own secrets) and the older `{{ secret:ssm:/path }}` / `{{ secret:sm:name }}` are secret
 * references: never resolved by the compiler, they stay in the string for the action core to
 * resolve at run time from the run's tenant only. `{{ callback.url }}` and `{{ callback.id }}`
 * (only inside a waitForCallback's `notify`) stay in the string the same way, for the wait function.
 */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'path'; ref: PathRef; start: number }
  | { kind: 'secret'; store: 'tenant' | 'ssm' | 'sm'; name: string; raw: string; start: number }
  | { kind: 'callback'; field: 'url' | 'id'; raw: string; start: number };

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** True when the whole string is one `{{ path }}` (the value keeps its type). */
  whole: boolean;
}

const SECRET = /^secret:(ssm|sm):([A-Za-z0-9/_+=.@-]{1,2048})$/;
const TENANT_SECRET = /^secret:([A-Za-z0-9][A-Za-z0-9_.-]{0,127})$/;
const CALLBACK = /^callback\.(url|id)$/;

/**
 * `{{ callback.url }}` / `{{ callback.id }}` anywhere in a string: the callback of a waitForCallback
 * node, known only once the node starts waiting (the wait function fills them in before `notify` runs).
 */
export const CALLBACK_TEMPLATE = /\{\{\s*callback\.(url|id)\s*\}\}/g;

/** True when the string contains `{{` (it needs the template treatment). */
export function hasTemplate(value: string): boolean {
  return value.includes('{{');
}

/** Parses a string with templates. Throws `ExpressionSyntaxError` with the offset of the problem. */
export function parseTemplate(source: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      parts.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: 'text', text: source.slice(i, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new ExpressionSyntaxError('"{{" without a closing "}}"', open);
    const inner = source.slice(open + 2, close);
    const lead = inner.length - inner.trimStart().length;
    const body = inner.trim();
    const start = open + 2 + lead;
    if (body.length === 0) throw new ExpressionSyntaxError('empty template "{{ }}"', open);
    const secret = SECRET.exec(body);
    const tenantSecret = secret ? null : TENANT_SECRET.exec(body);
    const callback = CALLBACK.exec(body);
    if (callback) {
      parts.push({
        kind: 'callback',
        field: callback[1] as 'url' | 'id',
        raw: source.slice(open, close + 2),
        start,
      });
    } else if (body === 'callback' || body.startsWith('callback.') || body.startsWith('callback[')) {
      throw new ExpressionSyntaxError(
        'the callback paths are {{ callback.url }} and {{ callback.id }}',
        start,
      );
    } else if (secret || tenantSecret) {
      parts.push({
        kind: 'secret',
        store: secret ? (secret[1] as 'ssm' | 'sm') : 'tenant',
        name: (secret ? secret[2] : tenantSecret?.[1]) as string,
        raw: source.slice(open, close + 2),
        start,
      });
    } else if (body.startsWith('secret:')) {
      throw new ExpressionSyntaxError(
        'a secret reference is {{ secret:<name> }} (1-128 letters, digits, "_", "." or "-"), {{ secret:ssm:/param/name }} or {{ secret:sm:secret-name }}',
        start,
      );
    } else {
      const { ref, end } = scanPathAt(body, start);
      if (end !== body.length)
        throw new ExpressionSyntaxError(`unexpected "${body.slice(end)}" after the path`, start + end);
      parts.push({ kind: 'path', ref, start });
    }
    i = close + 2;
  }
  const whole = parts.length === 1 && parts[0]?.kind === 'path';
  return { parts, whole };
}

/** `scanPath` over the body of a template, with error positions moved to offsets in the whole string. */
function scanPathAt(body: string, offset: number): ReturnType<typeof scanPath> {
  try {
    return scanPath(body, 0);
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    const reason = error.message.replace(/ \(at character \d+\)$/, '');
    throw new ExpressionSyntaxError(reason, error.position + offset);
  }
}

/** Every string inside a JSON value with the JSON pointer (relative, starting with "/" or "") where it sits. */
export function* stringsIn(value: unknown, pointer = ''): Generator<{ value: string; pointer: string }> {
  if (typeof value === 'string') yield { value, pointer };
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* stringsIn(value[i], `${pointer}/${i}`);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value))
      yield* stringsIn(child, `${pointer}/${escapePointer(key)}`);
  }
}

/** Escapes one JSON-pointer token (RFC 6901). */
export function escapePointer(token: string): string {
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
