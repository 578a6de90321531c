import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { definitionSchema } from './definition-schema.ts';

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
  return {
    $schema,
    title: 'FlowForge workflow definition',
    description:
      'A FlowForge workflow: trigger, action and operation nodes joined by dependencies and connections (DESIGN.md §2). Shape only: run `flowforge validate` for the graph, template, condition and action-config rules.',
    ...rest,
  };
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
