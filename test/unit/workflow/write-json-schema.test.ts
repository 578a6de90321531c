import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildJsonSchema,
  JSON_SCHEMA_PATH,
  renderJsonSchema,
} from '../../../lib/workflow/write-json-schema.ts';

describe('JSON Schema of the definition', () => {
  it('the checked-in file equals a fresh generation (run `npm run schema` after changing the zod schema)', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(renderJsonSchema());
  });
  it('describes the input side: required name and nodes, optional defaulted fields', () => {
    const schema = buildJsonSchema() as {
      $schema: string;
      required: string[];
      properties: Record<string, unknown>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['name', 'nodes']);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['name', 'nodes', 'connections', 'inputSchema', '$schema']),
    );
    const json = JSON.stringify(schema);
    expect(json).toContain('"^[a-zA-Z0-9_-]{1,64}$"');
    expect(json).toContain('"exponential"');
  });
});
