import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { definitionSchema } from './definition-schema.ts';
import { forEachConfigSchema, subflowConfigSchema } from './operation-configs.ts';

/** Where the generated schema is checked in (the README and the examples' `$schema` point at it). */
export const JSON_SCHEMA_PATH = fileURLToPath(
  new URL('../../schema/workflow-definition.schema.json', import.meta.url),
);

/**
 * The JSON Schema (draft 2020-12) of a workflow definition as a user writes it, generated from
 * `definitionSchema` (zod 4 `toJSONSchema`, input side so defaulted fields are optional). It covers
 * the shape only; the graph, template, condition and action-config rules need `flowforge validate`.
 */
export function buildJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(definitionSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  describeOperationConfigs(rest);
  return {
    $schema,
    title: 'FlowForge workflow definition',
    description:
      'A FlowForge workflow: trigger, action and operation nodes joined by dependencies and connections (DESIGN.md §2). Shape only: run `flowforge validate` for the graph, template, condition and action-config rules.',
    ...rest,
  };
}

/**
 * The configs of `forEach` and `subflow` (DESIGN.md §2.1) as `if operation = … then config: …` on the
 * operation node; a forEach body's nodes refer back to the node schema (bodies nest).
 */
function describeOperationConfigs(schema: Record<string, unknown>): void {
  const NODE_REF = '#/properties/nodes/items';
  const nodes = (schema.properties as Record<string, Record<string, unknown>> | undefined)?.nodes;
  const variants = ((nodes?.items as Record<string, unknown> | undefined)?.oneOf ?? []) as Array<
    Record<string, unknown>
  >;
  const operation = variants.find(
    (v) => (v.properties as Record<string, { const?: unknown }> | undefined)?.type?.const === 'operation',
  );
  if (!operation) return;
  const toSchema = (zodSchema: z.ZodType): Record<string, unknown> => {
    const { $schema: _ignored, ...body } = z.toJSONSchema(zodSchema, {
      io: 'input',
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return body;
  };
  const forEach = toSchema(forEachConfigSchema);
  const forEachProperties = forEach.properties as Record<string, Record<string, unknown>>;
  if (forEachProperties.nodes) forEachProperties.nodes.items = { $ref: NODE_REF };
  // JSON Schema's if/then; built by key so the object is never mistaken for a thenable.
  const when = (kind: string, config: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries([
      ['if', { properties: { operation: { const: kind } }, required: ['operation'] }],
      ['then', { properties: { config } }],
    ]);
  operation.allOf = [when('forEach', forEach), when('subflow', toSchema(subflowConfigSchema))];
}

/** The file content: the schema as pretty JSON with a trailing newline. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}

/** Writes the schema file (`npm run schema`). */
export async function writeJsonSchema(path = JSON_SCHEMA_PATH): Promise<void> {
  await writeFile(path, renderJsonSchema());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeJsonSchema();
  process.stdout.write(`wrote ${JSON_SCHEMA_PATH}\n`);
}
