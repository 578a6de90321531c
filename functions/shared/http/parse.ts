import type * as z from 'zod';
import { JsonReadError, readJson } from '../../../lib/security/json-reader.ts';
import { HttpProblem } from './http-problem.ts';
import { jsonErrorOffset } from './json-error-offset.ts';

/** The largest request body the API takes (1 MiB); larger ones answer 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The request body as text, base64-decoded when API Gateway encoded it; 413 when over 1 MiB. */
export const bodyText = (body: string | undefined, isBase64Encoded: boolean | undefined): string => {
  if (body === undefined || body === '') return '';
  // Compare sizes before decoding: a base64 body is 4/3 of its bytes.
  const roughBytes = isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
  if (roughBytes > MAX_BODY_BYTES + 3) {
    throw new HttpProblem(
      413,
      'Payload too large',
      `the request body is larger than ${MAX_BODY_BYTES} bytes`,
    );
  }
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpProblem(
      413,
      'Payload too large',
      `the request body is larger than ${MAX_BODY_BYTES} bytes`,
    );
  }
  return text;
};

/** Line and column (1-based) of a character offset. */
const lineColumn = (text: string, offset: number): { line: number; column: number } => {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
};

/**
 * Parses a JSON body with the one JSON reader (`readJson`: depth, finite numbers, no `__proto__`);
 * an empty body is `undefined`. Bad JSON → 400 saying where (line, column, character offset)
 * without echoing the body back; a refused document → 400 at its JSON pointer.
 */
export const parseJsonBody = (text: string): unknown => {
  if (text.trim() === '') return undefined;
  try {
    return readJson(text);
  } catch (error) {
    if (error instanceof JsonReadError) {
      throw new HttpProblem(400, 'Invalid request', `the request body is refused: ${error.message}`, {
        errors: [{ path: error.path, message: error.message }],
      });
    }
    const offset = jsonErrorOffset(text);
    const { line, column } = lineColumn(text, offset);
    const what =
      offset >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[offset])}`;
    throw new HttpProblem(
      400,
      'Malformed JSON',
      `the request body is not valid JSON: ${what} at line ${line}, column ${column} (offset ${offset})`,
      { errors: [{ path: '', message: `invalid JSON at line ${line}, column ${column}` }] },
      { cause: error },
    );
  }
};

/** A JSON pointer from a zod issue path (`['nodes', 2, 'id']` → `/nodes/2/id`), under `prefix`. */
export const pointer = (prefix: string, path: readonly PropertyKey[]): string =>
  prefix + path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** Parses `value` with `schema`; failure → 400 with each issue at a JSON pointer under `prefix`. */
export const parseWith = <S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  what: string,
): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpProblem(400, 'Invalid request', `the ${what} is invalid`, {
    // An unknown key is reported at its own pointer (`/name`), not at the object holding it.
    errors: result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: pointer(prefix, [...issue.path, key]), message: 'unknown key' }))
        : [{ path: pointer(prefix, issue.path), message: issue.message }],
    ),
  });
};
