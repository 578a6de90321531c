import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../lib/compiler/compile.ts';
import { definitionSchema } from '../../../lib/workflow/definition-schema.ts';
import { AslCollector } from './asl-check.ts';
import { TEST_CONTEXT } from './fixtures.ts';

// Whole-ASL golden files: every examples/*.json and test/fixtures/definitions/*.json compiled with
// the fixed test context. Regenerate with UPDATE_GOLDEN=1 after a deliberate change.
const root = join(import.meta.dirname, '../../..');
const goldenDir = join(root, 'test/fixtures/golden');
const sources = ['examples', 'test/fixtures/definitions']
  .map((dir) => join(root, dir))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(dir, f)),
  );
const update = process.env.UPDATE_GOLDEN === '1';
const collector = new AslCollector();

describe('golden ASL', () => {
  it('has definitions to compare', () => {
    expect(sources.length).toBeGreaterThan(0);
  });

  for (const file of sources) {
    const name = basename(file, '.json');
    it(`${name} compiles to its golden file`, () => {
      const definition = definitionSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      const { asl, report } = compile(definition, TEST_CONTEXT);
      collector.add(asl);
      const golden = join(goldenDir, `${name}.asl.json`);
      const text = `${JSON.stringify(asl, null, 2)}\n`;
      if (update) {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(golden, text);
      }
      expect(existsSync(golden), `missing ${golden}: run with UPDATE_GOLDEN=1`).toBe(true);
      expect(text).toBe(readFileSync(golden, 'utf8'));
      expect(report.definitionBytes).toBe(Buffer.byteLength(JSON.stringify(JSON.stringify(asl))) - 2);
      // Deterministic: a second compile gives the same bytes.
      expect(JSON.stringify(compile(definition, TEST_CONTEXT).asl)).toBe(JSON.stringify(asl));
    });
  }

  afterAll(() => {
    expect(collector.validate()).toEqual([]);
  });
});
