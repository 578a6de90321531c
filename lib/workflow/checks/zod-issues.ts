import type * as z from 'zod';
import { hasTemplate } from '../template.ts';
import { isRecord, pointerOf, type ValidationIssue } from './validation-context.ts';

/**
 * Turns zod issues into validation issues with JSON pointers (`base` + the issue's path) and messages
 * a person reads easily: an unknown key is reported at the key itself, a missing one as "required".
 * With `skipTemplates`, issues at or under a string holding a template are dropped: the template may
 * produce any type at run time.
 */
export function zodIssues(
  error: z.ZodError,
  data: unknown,
  base = '',
  options: { skipTemplates?: boolean } = {},
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path;
    if (options.skipTemplates && underTemplate(data, path)) continue;
    const pointer = base + pointerOf(path);
    if (issue.code === 'unrecognized_keys') {
      const where = path.length === 0 ? '' : ` in ${String(path[path.length - 1])}`;
      for (const key of issue.keys)
        out.push({ path: `${pointer}${pointerOf([key])}`, message: `unknown key "${key}"${where}` });
      continue;
    }
    out.push({ path: pointer, message: messageOf(issue, data) });
  }
  return out;
}

function messageOf(issue: z.core.$ZodIssue, data: unknown): string {
  const key = issue.path.length > 0 ? `"${String(issue.path[issue.path.length - 1])}"` : 'the value';
  if (issue.code === 'invalid_union' && 'discriminator' in issue && typeof issue.discriminator === 'string') {
    const options = (issue as { options?: unknown[] }).options ?? [];
    return `"${issue.discriminator}" must be one of ${options.map((o) => `"${String(o)}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type') {
    const { found, value } = lookup(data, issue.path);
    if (!found) return `${key} is required (${issue.expected})`;
    return `${key} must be ${article(issue.expected)}, not ${typeName(value)}`;
  }
  if (issue.code === 'invalid_value') {
    return `${key} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') return `${key}: ${lowerFirst(issue.message)}`;
  return issue.message;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The JSON type of a value, as a person names it. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

function lookup(data: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = data;
  for (const token of path) {
    if (Array.isArray(current) && typeof token === 'number' && token < current.length)
      current = current[token];
    else if (isRecord(current) && Object.hasOwn(current, token as string)) current = current[token as string];
    else return { found: false, value: undefined };
  }
  return { found: true, value: current };
}

function underTemplate(data: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = data;
  for (let i = 0; ; i++) {
    if (typeof current === 'string') return hasTemplate(current);
    if (i >= path.length) return false;
    const token = path[i];
    if (Array.isArray(current) && typeof token === 'number') current = current[token];
    else if (isRecord(current) && typeof token === 'string' && Object.hasOwn(current, token))
      current = current[token];
    else return false;
  }
}
