import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../lib/compiler/compile.ts';
import type { WorkflowDefinitionInput } from '../../../lib/workflow/definition-schema.ts';
import { collectEdges } from '../../../lib/workflow/edges.ts';
import { mulberry32 as prng } from '../../support/mulberry32.ts';
import { AslCollector } from './asl-check.ts';
import { definition, TEST_CONTEXT } from './fixtures.ts';
import { type Outcome, referenceRun } from './reference-semantics.ts';
import { namedError, runAsl } from './run-asl.ts';

// Property: random DAGs (up to 40 nodes, random conditions, join rules, edge kinds and failing
// nodes) compiled and run; every node starts only after each of its dependencies finished, and
// every final status is what the reference evaluator (DESIGN.md §2) says.

const collector = new AslCollector();
afterAll(() => {
  expect(collector.validate()).toEqual([]);
});

interface Scenario {
  input: WorkflowDefinitionInput;
  failing: Set<string>;
  triggerId: string | null;
  outputOf: (id: string) => { n: number; flag: boolean };
}

function scenario(seed: number, size: number): Scenario {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const triggers = random() < 0.3 ? 2 : 1;
  const nodes: WorkflowDefinitionInput['nodes'] = [];
  const connections: NonNullable<WorkflowDefinitionInput['connections']> = [];
  const errorSources = new Set<string>();
  for (let i = 0; i < triggers; i++) nodes.push({ id: `t${i}`, type: 'trigger', trigger: 'manual' });
  for (let i = triggers; i < size; i++) {
    const id = `n${i}`;
    const window = Math.min(i, 8);
    const sources = new Set<number>();
    const count = 1 + Math.floor(random() * 3);
    for (let k = 0; k < count; k++) sources.add(i - 1 - Math.floor(random() * window));
    for (const s of sources) {
      const from = (nodes[s] as { id: string }).id;
      const isAction = from.startsWith('n');
      const on = isAction ? pick(['success', 'success', 'success', 'error', 'always'] as const) : 'success';
      const edge: (typeof connections)[number] = { from, to: id };
      if (on !== 'success') edge.on = on;
      else if (isAction && random() < 0.35) {
        edge.condition = pick([
          `nodes.${from}.output.n > ${Math.floor(random() * 10)}`,
          `nodes.${from}.output.flag == true`,
          `!(nodes.${from}.output.flag)`,
          `exists(nodes.${from}.output.missing) || nodes.${from}.output.n <= 5`,
          `nodes.${from}.output.n == "3"`,
        ]);
      }
      if (on === 'error') errorSources.add(from);
      connections.push(edge);
    }
    const node: WorkflowDefinitionInput['nodes'][number] =
      random() < 0.15
        ? { id, type: 'operation', operation: 'noop' }
        : { id, type: 'action', action: 'log', config: { message: id } };
    if (random() < 0.4) node.join = random() < 0.5 ? 'any' : 'all';
    nodes.push(node);
  }
  const failing = new Set<string>();
  for (const node of nodes) {
    if (node.type !== 'action') continue;
    // Most failures are on nodes with error edges (continue); a few fail the run.
    if (random() < (errorSources.has(node.id) ? 0.5 : 0.04)) failing.add(node.id);
  }
  const hash = (id: string) => [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, seed % 1000);
  return {
    input: { name: `random-${seed}`, nodes, connections },
    failing,
    triggerId: triggers > 1 && random() < 0.5 ? 't1' : null,
    outputOf: (id) => ({ n: hash(id) % 10, flag: hash(id) % 3 === 0 }),
  };
}

describe('random DAGs against the reference semantics', () => {
  it('respects dependencies and ends every node with the reference status', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 2, max: 40 }),
        async (seed, size) => {
          const s = scenario(seed, size);
          const def = definition(s.input);
          const { asl } = compile(def, TEST_CONTEXT);
          collector.add(asl);
          const outcome = (id: string): Outcome =>
            s.failing.has(id)
              ? { ok: false, error: 'Boom', cause: id }
              : { ok: true, output: s.outputOf(id) };
          const result = await runAsl(asl, {
            input: { seed },
            execution: { trigger: { id: s.triggerId, type: 'manual' } },
            handlers: {
              log: (p) => {
                if (s.failing.has(p.nodeId)) throw namedError('Boom', p.nodeId);
                return s.outputOf(p.nodeId);
              },
            },
          });
          const expected = referenceRun(def, { input: { seed }, triggerId: s.triggerId, outcome });
          // Ordering: a node's own state starts after every source's last state ended.
          const lastExit = (id: string) =>
            Math.max(
              ...[id, `${id}:skip`, `${id}:failed`].map(
                (name) => result.timing.get(name)?.exited ?? Number.NEGATIVE_INFINITY,
              ),
            );
          const started = (id: string) =>
            result.timing.get(id)?.entered ?? result.timing.get(`${id}:skip`)?.entered;
          for (const edge of collectEdges(def)) {
            const start = started(edge.to);
            if (start !== undefined) expect(start).toBeGreaterThanOrEqual(lastExit(edge.from));
          }
          for (const node of def.nodes)
            expect(['succeeded', 'failed', 'skipped']).toContain(result.nodes[node.id]?.status);
          if (expected.fatal.length === 0) {
            expect(result.status).toBe('SUCCEEDED');
            const actual = Object.fromEntries(def.nodes.map((n) => [n.id, result.nodes[n.id]?.status]));
            expect(actual).toEqual(expected.status);
          } else {
            expect(result.status).toBe('FAILED');
            expect(expected.fatal).toContain(result.error?.cause);
            // What ran, ran as the reference says; what the failure cut off is skipped.
            for (const node of def.nodes) {
              const actual = result.nodes[node.id]?.status;
              if (actual !== 'skipped') expect(actual).toBe(expected.status[node.id]);
            }
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 30) },
    );
  });
});
