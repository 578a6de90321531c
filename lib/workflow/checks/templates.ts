import { ExpressionSyntaxError, type PathRef } from '../path-ref.ts';
import { escapePointer, parseTemplate } from '../template.ts';
import { describe } from './conditions.ts';
import type { NodeReference } from './node-references.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';

/**
 * Templates in every string of a node's `config` and `compensate.config` parse (the message carries
 * the position inside the string), and their `nodes.<id>` paths are collected into `references`:
 * a config may read nodes upstream of its node; a compensation may also read the node itself.
 */
export function checkTemplates(ctx: ValidationContext, references: NodeReference[]): void {
  for (const node of ctx.nodes) {
    scan(ctx, node.raw.config, `${node.pointer}/config`, node.id, node.first, false, references);
    const compensate = node.raw.compensate;
    if (isRecord(compensate)) {
      scan(
        ctx,
        compensate.config,
        `${node.pointer}/compensate/config`,
        node.id,
        node.first,
        true,
        references,
      );
    }
  }
}

function scan(
  ctx: ValidationContext,
  config: unknown,
  base: string,
  reader: string,
  collect: boolean,
  selfAllowed: boolean,
  references: NodeReference[],
): void {
  if (config === undefined) return;
  templateStrings(config, base, [], (value, pointer) => {
    if (value === undefined) {
      ctx.error(pointer, `config is nested more than ${MAX_DEPTH} levels deep`);
      return;
    }
    let parts: ReturnType<typeof parseTemplate>['parts'];
    try {
      parts = parseTemplate(value).parts;
    } catch (error) {
      ctx.error(
        pointer,
        `template does not parse: ${error instanceof ExpressionSyntaxError ? error.message : describe(error)}`,
      );
      return;
    }
    if (!collect) return;
    for (const part of parts) {
      if (part.kind !== 'path' || part.ref.nodeId === undefined) continue;
      const ref = part.ref as PathRef & { nodeId: string };
      references.push({ ref, pointer, reader, selfAllowed, where: 'template' });
    }
  });
}

/** Deeper configs are refused rather than walked (no stack overflow on hostile input). */
const MAX_DEPTH = 128;

/**
 * Calls `visit` for every string holding `{{` inside `value`, with its JSON pointer (and with
 * `undefined` at the first value nested deeper than `MAX_DEPTH`). Like
 * `stringsIn`, but builds a pointer only for the strings it reports (most config strings are plain).
 */
function templateStrings(
  value: unknown,
  base: string,
  tokens: string[],
  visit: (text: string | undefined, pointer: string) => void,
): void {
  if (tokens.length > MAX_DEPTH && typeof value === 'object' && value !== null) {
    visit(undefined, `${base}/${tokens.join('/')}`);
    return;
  }
  if (typeof value === 'string') {
    if (value.includes('{{')) visit(value, tokens.length === 0 ? base : `${base}/${tokens.join('/')}`);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      tokens.push(String(i));
      templateStrings(value[i], base, tokens, visit);
      tokens.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      tokens.push(escapePointer(key));
      templateStrings((value as Record<string, unknown>)[key], base, tokens, visit);
      tokens.pop();
    }
  }
}
