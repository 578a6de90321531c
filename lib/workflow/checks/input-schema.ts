import { type Schema, Validator } from '@cfworker/json-schema';
import { jsonSchemaDraft07 } from '../json-schema-draft-07.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';

let metaschema: Validator | undefined;

/**
 * A definition's `inputSchema` is itself a valid JSON Schema: checked against the metaschema at save
 * time (`{ "type": "strnig" }`, `{ "required": "a" }`, a `pattern` that is no regular expression
 * are errors at their pointer).
 */
export function checkInputSchemaDefinition(ctx: ValidationContext): void {
  const root = isRecord(ctx.raw) ? ctx.raw : {};
  const schema = root.inputSchema;
  if (!isRecord(schema)) return;
  const base = `${ctx.base}/inputSchema`;
  metaschema ??= new Validator(jsonSchemaDraft07 as unknown as Schema, '7', false);
  const result = metaschema.validate(schema);
  for (const error of result.errors) {
    if (['properties', 'items', 'additionalProperties', '$ref', 'anyOf', 'allOf'].includes(error.keyword))
      continue;
    ctx.error(
      `${base}${error.instanceLocation.replace(/^#/, '')}`,
      `not a valid JSON Schema: ${error.error}`,
    );
  }
}
