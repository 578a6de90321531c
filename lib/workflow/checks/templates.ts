import { ExpressionSyntaxError } from '../path-ref.ts';
import { hasTemplate, parseTemplate, stringsIn } from '../template.ts';
import { describe } from './conditions.ts';
import { type NodeReference, nodeRefs } from './node-references.ts';
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
  for (const { value, pointer } of stringsIn(config, base)) {
    if (!hasTemplate(value)) continue;
    let parts: ReturnType<typeof parseTemplate>['parts'];
    try {
      parts = parseTemplate(value).parts;
    } catch (error) {
      ctx.error(
        pointer,
        `template does not parse: ${error instanceof ExpressionSyntaxError ? error.message : describe(error)}`,
      );
      continue;
    }
    if (!collect) continue;
    const refs = nodeRefs(parts.flatMap((part) => (part.kind === 'path' ? [part.ref] : [])));
    for (const ref of refs) references.push({ ref, pointer, reader, selfAllowed, where: 'template' });
  }
}
