// forEach locally: a forEach of 1,000 items (body: one log action) against a plain flow, both
// compiled by the real compiler and run through the local runner with the real actions. Prints the
// wall time of each run and the per-item overhead of an iteration over a plain node, as ratios of
// the same run, for both Map forms: Distributed (the default of a top-level forEach: the list and
// the results through the payload store) and Inline (a compile context without a payload bucket).
// `node --import tsx bench/foreach.bench.ts`
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../lib/runtime/polyfills.ts';
import { compile } from '../lib/compiler/compile.ts';
import { createLocalPayloadStore } from '../lib/payloads/local-payload-store.ts';
import { localCompileContext } from '../lib/runtime/local/local-action-arns.ts';
import { createRegisteredInvoker, runLocally } from '../lib/runtime/local/run-locally.ts';
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

const payloadDir = await mkdtemp(join(tmpdir(), 'bench-foreach-'));
const payloads = createLocalPayloadStore(payloadDir);
const invokeAction = createRegisteredInvoker({ payloads });
const distributed = localCompileContext();
const { payloadBucket: _bucket, ...inline } = distributed;

async function timed(definition: typeof forEachFlow, input: unknown, context = distributed): Promise<number> {
  const { asl } = compile(definition, context);
  const started = performance.now();
  const record = await runLocally(asl, { input, execution }, { keepEvents: false, payloads, invokeAction })
    .promise;
  const ms = performance.now() - started;
  if (record.status !== 'SUCCEEDED') throw new Error(`${definition.name}: ${JSON.stringify(record.error)}`);
  return ms;
}

const items = Array.from({ length: ITEMS }, (_, i) => i);
await timed(forEachFlow, { items: items.slice(0, 20) }); // warm-up: module loads, JIT
await timed(forEachFlow, { items: items.slice(0, 20) }, inline);
await timed(chainFlow, {});
const distributedMs = await timed(forEachFlow, { items });
const inlineMs = await timed(forEachFlow, { items }, inline);
const chainMs = await timed(chainFlow, {});
const perNode = chainMs / CHAIN;
for (const [form, ms] of [
  ['Distributed Map', distributedMs],
  ['Inline Map', inlineMs],
] as const) {
  console.log(
    `forEach of ${ITEMS} items as ${form} (body: 1 log action, concurrency 40): ${ms.toFixed(0)} ms wall, per item ${(ms / ITEMS).toFixed(2)} ms, ratio to a plain node ${(ms / ITEMS / perNode).toFixed(2)}`,
  );
}
console.log(
  `plain chain of ${CHAIN} log nodes: ${chainMs.toFixed(0)} ms wall, per node ${perNode.toFixed(2)} ms`,
);
console.log(`Distributed / Inline wall time: ${(distributedMs / inlineMs).toFixed(2)}`);
await rm(payloadDir, { recursive: true, force: true });
