import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { actionKinds } from '../../../lib/actions/catalog.ts';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';

const EXAMPLES = new URL('../../../examples/', import.meta.url);
const files = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json'))
  .sort();
/** The actions the examples use; the ones not yet in the catalog are tolerated as "unknown" until they land. */
const EXAMPLE_ACTIONS = ['http', 'transform', 'email', 'queue', 'log', 'code', 'ai'];
const pending = EXAMPLE_ACTIONS.filter((kind) => !actionKinds().includes(kind));

describe('examples/', () => {
  it('has the required examples', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'hello.json',
        'nightly-report.json',
        'non-series-parallel.json',
        'order-fulfilment.json',
        'retry-strategies.json',
        'sqs-enrichment.json',
        'webhook-branches.json',
      ]),
    );
  });

  it.each(files)('%s is valid against the catalog as it is now, without warnings', (file) => {
    const raw: unknown = JSON.parse(readFileSync(new URL(file, EXAMPLES), 'utf8'));
    const result = validateDefinition(raw);
    const unexpected = result.errors.filter(
      (e) => !pending.some((kind) => e.message.startsWith(`unknown action "${kind}"`)),
    );
    expect(unexpected).toEqual([]);
    expect(result.warnings).toEqual([]);
    const used = new Set(
      (raw as { nodes: Array<{ action?: string; compensate?: { action: string } }> }).nodes.flatMap((n) => [
        n.action,
        n.compensate?.action,
      ]),
    );
    for (const kind of used) if (kind !== undefined) expect(EXAMPLE_ACTIONS).toContain(kind);
  });

  it('hello.json and non-series-parallel.json need no network (log, transform and operations only)', () => {
    for (const file of ['hello.json', 'non-series-parallel.json']) {
      const raw = JSON.parse(readFileSync(new URL(file, EXAMPLES), 'utf8')) as {
        nodes: Array<{ action?: string }>;
      };
      for (const node of raw.nodes) expect(['log', 'transform', undefined]).toContain(node.action);
    }
  });
});
