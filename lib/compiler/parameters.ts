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
 * A literal backslash inside States.Format text. The ASL escape (a doubled backslash) is refused by asl-validator
 * (and by aws-local-stepfunctions, which validates with it), so it is passed as an argument.
 * (aws-local-stepfunctions drops backslashes from every intrinsic result; Step Functions keeps them.)
 */
const BACKSLASH = "States.Base64Decode('XA==')";

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
  const args: string[] = [];
  const texts: string[] = [''];
  const placeholder = (arg: string) => {
    args.push(arg);
    texts.push('');
  };
  for (const part of template.parts) {
    if (part.kind === 'path') placeholder(toJsonPath(part.ref));
    else {
      (part.kind === 'text' ? part.text : part.raw).split('\\').forEach((chunk, i) => {
        if (i > 0) placeholder(BACKSLASH);
        texts[texts.length - 1] += chunk;
      });
    }
  }
  if (!template.parts.some((p) => p.kind === 'path')) return { literal: value };
  const format = `'${texts.map((t) => intrinsicString(t).slice(1, -1)).join('{}')}'`;
  return { expression: `States.Format(${[format, ...args].join(', ')})` };
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
