// forEach locally: a forEach of 1,000 items (body: one log action) against a plain flow, both
// compiled by the real compiler and run through the local runner with the real actions. Prints the
// wall time of each run and the per-item overhead of an iteration over a plain node, as ratios of
// the same run. `node --import tsx bench/foreach.bench.ts`
import '../lib/runtime/polyfills.ts';
import { compile } from '../lib/compiler/compile.ts';
import { localCompileContext } from '../lib/runtime/local/local-action-arns.ts';
import { runLocally } from '../lib/runtime/local/run-locally.ts';
import { definitionSchema } from '../lib/workflow/definition-schema.ts';

const ITEMS = 1000;
const CHAIN = 100;
const execution = { id: 'bench', startedAt: new Date().toISOString(), flowId: 'bench', version: 1 };

const log = (id: string, message: string, dependencies?: string[]) => ({
  id,
  type: 'action',
  action: 'log',
  config: { message },
  ...(dependencies ? { dependencies } : {}),
});

const forEachFlow = definitionSchema.parse({
  name: 'bench-foreach',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    {
      id: 'each',
      type: 'operation',
      operation: 'forEach',
      dependencies: ['start'],
      config: {
        items: '{{ input.items }}',
        concurrency: 40,
        nodes: [log('note', 'item {{ item }} #{{ index }}')],
      },
    },
  ],
});
const chainFlow = definitionSchema.parse({
  name: 'bench-chain',
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    ...Array.from({ length: CHAIN }, (_, i) => log(`n${i}`, `node ${i}`, [i === 0 ? 'start' : `n${i - 1}`])),
  ],
});

async function timed(definition: typeof forEachFlow, input: unknown): Promise<number> {
  const { asl } = compile(definition, localCompileContext());
  const started = performance.now();
  const record = await runLocally(asl, { input, execution }, { keepEvents: false }).promise;
  const ms = performance.now() - started;
  if (record.status !== 'SUCCEEDED') throw new Error(`${definition.name}: ${JSON.stringify(record.error)}`);
  return ms;
}

const items = Array.from({ length: ITEMS }, (_, i) => i);
await timed(forEachFlow, { items: items.slice(0, 20) }); // warm-up: module loads, JIT
await timed(chainFlow, {});
const forEachMs = await timed(forEachFlow, { items });
const chainMs = await timed(chainFlow, {});
const perItem = forEachMs / ITEMS;
const perNode = chainMs / CHAIN;
console.log(
  `forEach of ${ITEMS} items (body: 1 log action, concurrency 40): ${forEachMs.toFixed(0)} ms wall`,
);
console.log(`plain chain of ${CHAIN} log nodes:                          ${chainMs.toFixed(0)} ms wall`);
console.log(
  `per item ${perItem.toFixed(2)} ms vs per plain node ${perNode.toFixed(2)} ms: ratio ${(perItem / perNode).toFixed(2)}`,
);
