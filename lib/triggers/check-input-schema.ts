/**
 * A small JSON Schema validator for a flow's `inputSchema`: enough to refuse bad trigger input
 * before a run starts. Supported keywords: `type` (one or a list), `required`, `properties`,
 * `additionalProperties` (boolean or schema), `items` (one schema), `enum`, `const`,
 * `minLength`/`maxLength`, `pattern`, `minimum`/`maximum`, `minItems`/`maxItems`.
 * Every other keyword (`$ref`, `oneOf`, `format`, …) is ignored, i.e. accepts — a documented
 * limitation: an input schema using them is checked only for the keywords above.
 */

export interface InputIssue {
  /** JSON pointer into the input (`/customer/email`), `''` for the whole input. */
  path: string;
  message: string;
}

type Schema = Record<string, unknown>;

/** The issues of `input` against `schema`; an empty list means the input is accepted. */
export function checkInputSchema(schema: Schema, input: unknown): InputIssue[] {
  const issues: InputIssue[] = [];
  check(schema, input, '', issues);
  return issues;
}

function check(schema: Schema, value: unknown, path: string, issues: InputIssue[]): void {
  const types = schema.type === undefined ? undefined : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((type) => hasType(value, type))) {
    issues.push({ path, message: `must be of type ${types.join(' or ')}, got ${typeOf(value)}` });
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => deepEqual(option, value))) {
    issues.push({ path, message: `must be one of ${JSON.stringify(schema.enum)}` });
  }
  if ('const' in schema && !deepEqual(schema.const, value)) {
    issues.push({ path, message: `must equal ${JSON.stringify(schema.const)}` });
  }
  if (typeof value === 'string') checkString(schema, value, path, issues);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) {
      issues.push({ path, message: `must be >= ${schema.minimum}` });
    }
    if (typeof schema.maximum === 'number' && value > schema.maximum) {
      issues.push({ path, message: `must be <= ${schema.maximum}` });
    }
  }
  if (Array.isArray(value)) checkArray(schema, value, path, issues);
  else if (isObject(value)) checkObject(schema, value, path, issues);
}

function checkString(schema: Schema, value: string, path: string, issues: InputIssue[]): void {
  const length = [...value].length;
  if (typeof schema.minLength === 'number' && length < schema.minLength) {
    issues.push({ path, message: `must have at least ${schema.minLength} characters` });
  }
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
    issues.push({ path, message: `must have at most ${schema.maxLength} characters` });
  }
  if (typeof schema.pattern === 'string') {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(schema.pattern, 'u');
    } catch {
      pattern = undefined; // an invalid pattern is the schema author's problem, not the input's
    }
    if (pattern && !pattern.test(value)) issues.push({ path, message: `must match ${schema.pattern}` });
  }
}

function checkArray(schema: Schema, value: unknown[], path: string, issues: InputIssue[]): void {
  if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
    issues.push({ path, message: `must have at least ${schema.minItems} items` });
  }
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
    issues.push({ path, message: `must have at most ${schema.maxItems} items` });
  }
  if (isObject(schema.items)) {
    const items = schema.items;
    value.forEach((item, index) => {
      check(items, item, `${path}/${index}`, issues);
    });
  }
}

function checkObject(
  schema: Schema,
  value: Record<string, unknown>,
  path: string,
  issues: InputIssue[],
): void {
  if (Array.isArray(schema.required)) {
    for (const name of schema.required) {
      if (typeof name === 'string' && !(name in value)) {
        issues.push({ path: `${path}/${pointerToken(name)}`, message: 'is required' });
      }
    }
  }
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const [name, child] of Object.entries(value)) {
    const childSchema = properties[name];
    if (isObject(childSchema)) check(childSchema, child, `${path}/${pointerToken(name)}`, issues);
    else if (schema.additionalProperties === false) {
      issues.push({ path: `${path}/${pointerToken(name)}`, message: 'is not an allowed property' });
    } else if (isObject(schema.additionalProperties)) {
      check(schema.additionalProperties, child, `${path}/${pointerToken(name)}`, issues);
    }
  }
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
