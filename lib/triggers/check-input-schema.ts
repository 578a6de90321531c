import { type Schema, Validator } from '@cfworker/json-schema';

/**
 * A flow's `inputSchema` checked by a real JSON Schema validator (@cfworker/json-schema, draft
 * 2020-12: every keyword, `$ref`, `oneOf`, `const`/`enum` compared structurally whatever the key
 * order). The schema itself was checked against the metaschema when the flow was saved.
 */

export interface InputIssue {
  /** JSON pointer into the input (`/customer/email`), `''` for the whole input. */
  path: string;
  message: string;
}

/** Keywords whose error only says that something below failed: the failure below is reported instead. */
const WRAPPERS = new Set([
  'properties',
  'items',
  'prefixItems',
  'additionalProperties',
  'patternProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'additionalItems',
  'dependentSchemas',
  '$ref',
  'allOf',
]);

const validators = new WeakMap<object, Validator>();

const pointerOf = (instanceLocation: string): string => {
  const pointer = instanceLocation.replace(/^#/, '');
  try {
    return decodeURI(pointer);
  } catch {
    return pointer;
  }
};

const token = (name: string): string => name.replaceAll('~', '~0').replaceAll('/', '~1');

/** The issues of `input` against `schema`; an empty list means the input is accepted. */
export function checkInputSchema(schema: Record<string, unknown>, input: unknown): InputIssue[] {
  let validator = validators.get(schema);
  if (!validator) {
    validator = new Validator(schema as Schema, '2020-12', false);
    validators.set(schema, validator);
  }
  const result = validator.validate(input);
  if (result.valid) return [];
  const issues: InputIssue[] = [];
  const seen = new Set<string>();
  for (const error of result.errors) {
    if (WRAPPERS.has(error.keyword)) continue;
    let path = pointerOf(error.instanceLocation);
    let message = error.error;
    if (error.keyword === 'required') {
      const missing = /"([^"]*)"/.exec(error.error)?.[1];
      if (missing !== undefined) path = `${path}/${token(missing)}`;
      message = 'is required';
    } else if (error.keyword === 'false') {
      message = 'is not allowed here';
    }
    const key = `${path}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message });
  }
  return issues;
}
