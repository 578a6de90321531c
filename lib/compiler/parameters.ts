import { toJsonPath } from '../workflow/path-ref.ts';
import { hasTemplate, parseTemplate } from '../workflow/template.ts';
import { CompileError } from './types.ts';

/** A compiled value: a literal copied as is, or an expression evaluated by Step Functions. */
export type CompiledValue = { literal: unknown } | { expression: string };

/** Escapes text for a single-quoted intrinsic-function string (`'`, `{`, `}` and `\`). */
export function intrinsicString(text: string): string {
  return `'${text.replace(/[\\'{}]/g, (c) => `\\${c}`)}'`;
}

/**
 * One config string: no template → literal; exactly one `{{ path }}` → that JSONPath (the value
 * keeps its type); mixed text → `States.Format('text {} …', paths…)`. Secret references
 * (`{{ secret:… }}`) stay literal text for the action to resolve.
 */
export function compileString(value: string): CompiledValue {
  if (!hasTemplate(value)) return { literal: value };
  const template = parseTemplate(value);
  const first = template.parts[0];
  if (template.whole && first?.kind === 'path') return { expression: toJsonPath(first.ref) };
  const paths: string[] = [];
  const texts: string[] = [''];
  for (const part of template.parts) {
    if (part.kind === 'path') {
      paths.push(toJsonPath(part.ref));
      texts.push('');
    } else texts[texts.length - 1] += part.kind === 'text' ? part.text : part.raw;
  }
  if (paths.length === 0) return { literal: value };
  const format = `'${texts.map((t) => intrinsicString(t).slice(1, -1)).join('{}')}'`;
  return { expression: `States.Format(${[format, ...paths].join(', ')})` };
}

function intrinsicArgument(value: unknown, where: string): string {
  if (typeof value === 'string') {
    const compiled = compileString(value);
    return 'expression' in compiled ? compiled.expression : intrinsicString(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  throw new CompileError(
    `${where}: an array that contains templates may hold only strings, numbers, booleans and null`,
    'INVALID_DEFINITION',
  );
}

function isDynamic(value: unknown): boolean {
  if (typeof value === 'string') return 'expression' in compileString(value);
  if (Array.isArray(value)) return value.some(isDynamic);
  if (value !== null && typeof value === 'object') return Object.values(value).some(isDynamic);
  return false;
}

/** Any JSON value of a config, compiled. Arrays with templates become `States.Array(…)`. */
export function compileValue(value: unknown, where = 'config'): CompiledValue {
  if (typeof value === 'string') return compileString(value);
  if (Array.isArray(value)) {
    if (!isDynamic(value)) return { literal: value };
    return {
      expression: `States.Array(${value.map((v, i) => intrinsicArgument(v, `${where}/${i}`)).join(', ')})`,
    };
  }
  if (value !== null && typeof value === 'object') {
    return { literal: compileObject(value as Record<string, unknown>, where) };
  }
  return { literal: value };
}

/**
 * A config object as a Parameters template: each key whose value is an expression becomes
 * `"key.$"`. A config key that itself ends in `.$` is refused (Step Functions would read it as
 * a path).
 */
export function compileObject(config: Record<string, unknown>, where = 'config'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('.$')) {
      throw new CompileError(`${where}: the key "${key}" cannot end in ".$"`, 'INVALID_DEFINITION');
    }
    const compiled = compileValue(value, `${where}/${key}`);
    if ('expression' in compiled) out[`${key}.$`] = compiled.expression;
    else out[key] = compiled.literal;
  }
  return out;
}
