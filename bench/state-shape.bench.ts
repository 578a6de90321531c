/**
 * State shape and machine size (run: node --import tsx bench/state-shape.bench.ts).
 * Compiles random DAGs whose nodes read an upstream node's output in a template (the usual shape of
 * a real flow), runs them locally through `runLocally` with actions that do nothing, and prints in
 * one run:
 * - µs per entered state at 50 and at 800 nodes, and their ratio (goal: ≤ 2, flat in DAG size);
 * - the largest state the run carried (bytes of JSON) at both sizes;
 * - bytes of ASL per action node (the escaped size AWS counts, see `escapedDefinitionBytes`), for
 *   random DAGs and chains, and the largest random DAG that fits in 1 MiB;
 * - 12- and 40-way fan-outs: compiled, run, and the most intrinsic functions in one field.
 */
import '../lib/runtime/polyfills.ts';
import { buildMachine } from '../lib/compiler/compile.ts';
import type { AslDefinition, CompileContext } from '../lib/compiler/types.ts';
import { ExecutionLimits } from '../lib/runtime/local/execution-limits.ts';
import { runLocally } from '../lib/runtime/local/run-locally.ts';
import type { MachineInput } from '../lib/runtime/state-machines.ts';
import { definitionSchema, type WorkflowDefinition } from '../lib/workflow/definition-schema.ts';
import { mulberry32 } from '../test/support/mulberry32.ts';

const context: CompileContext = {
  actionArns: { log: 'arn:aws:lambda:us-east-1:123456789012:function:flowforge-action-log' },
};
const machineInput: MachineInput = {
  input: { x: 1 },
  execution: { id: 'bench', startedAt: '2026-01-01T00:00:00.000Z', flowId: 'bench', version: 1 },
};

/** Node i depends on 1–3 of the 8 nodes before it and reads one of them in its message. */
function randomDag(n: number, seed: number): WorkflowDefinition {
  const random = mulberry32(seed);
  const nodes = Array.from({ length: n }, (_, i) => {
    const deps = new Set<number>();
    if (i > 0) {
      const count = 1 + Math.floor(random() * 3);
      for (let k = 0; k < count; k++) deps.add(i - 1 - Math.floor(random() * Math.min(i, 8)));
    }
    const read = [...deps][0];
    return {
      id: `n${i}`,
      type: 'action' as const,
      action: 'log',
      config: {
        message: read === undefined ? 'start {{ input.x }}' : `after {{ nodes.n${read}.output.message }}`,
      },
      dependencies: [...deps].map((d) => `n${d}`),
    };
  });
  return definitionSchema.parse({ name: `dag-${n}`, nodes });
}

function chain(n: number): WorkflowDefinition {
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    type: 'action' as const,
    action: 'log',
    config: { message: i === 0 ? 'start {{ input.x }}' : `after {{ nodes.n${i - 1}.output.message }}` },
    dependencies: i === 0 ? [] : [`n${i - 1}`],
  }));
  return definitionSchema.parse({ name: `chain-${n}`, nodes });
}

function fanOut(k: number): WorkflowDefinition {
  const nodes = [
    { id: 'root', type: 'action' as const, action: 'log', config: { message: 'go' } },
    ...Array.from({ length: k }, (_, i) => ({
      id: `b${i}`,
      type: 'action' as const,
      action: 'log',
      config: { message: `{{ nodes.root.output.message }} ${i}` },
      dependencies: ['root'],
    })),
    {
      id: 'join',
      type: 'action' as const,
      action: 'log',
      config: {
        message: `${Array.from({ length: k }, (_, i) => `{{ nodes.b${i}.output.message }}`).join(',')}`,
      },
      dependencies: Array.from({ length: k }, (_, i) => `b${i}`),
    },
  ];
  return definitionSchema.parse({ name: `fan-${k}`, nodes });
}

const echo = async (payload: { nodeId: string }): Promise<unknown> => ({ message: payload.nodeId });

/** JSON-escaped bytes of the definition as it travels inside the CreateStateMachine request. */
function escapedBytes(asl: AslDefinition): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(asl))) - 2;
}

function mostIntrinsics(value: unknown): number {
  if (typeof value === 'string') return (value.match(/States\.[A-Za-z0-9]+\(/g) ?? []).length;
  if (Array.isArray(value)) return Math.max(0, ...value.map(mostIntrinsics));
  if (value !== null && typeof value === 'object')
    return Math.max(0, ...Object.values(value).map(mostIntrinsics));
  return 0;
}

async function perState(def: WorkflowDefinition, runs: number) {
  const { asl } = buildMachine(def, context);
  const once = async () => {
    const run = runLocally(asl, machineInput, { validate: 'none', invokeAction: echo as never });
    const record = await run.promise;
    if (record.status !== 'SUCCEEDED') throw new Error(`${def.name}: ${JSON.stringify(record.error)}`);
    return run.events();
  };
  const events = await once(); // warm-up
  const entered = events.filter((e) => e.type === 'StateEntered').length;
  let largest = 0;
  for (const e of events) {
    const data =
      e.type === 'StateEntered' ? e.state.input : e.type === 'StateExited' ? e.state.output : undefined;
    if (data !== undefined) largest = Math.max(largest, JSON.stringify(data).length);
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  // The strict runtime's checks (state sizes, history count) over the same events, in this run.
  const limitTimes: number[] = [];
  for (let i = 0; i < Math.max(runs, 5); i++) {
    const started = performance.now();
    const limits = ExecutionLimits.forMachine(asl, true);
    for (const event of events) limits.observe(event);
    limitTimes.push(performance.now() - started);
  }
  limitTimes.sort((a, b) => a - b);
  const limitsMedian = limitTimes[Math.floor(limitTimes.length / 2)] as number;
  return {
    usPerState: (median * 1000) / entered,
    entered,
    largest,
    limitsUsPerState: (limitsMedian * 1000) / entered,
    limitsShare: limitsMedian / median,
  };
}

console.log('== state shape: µs per entered state (random DAGs reading upstream outputs) ==');
const small = await perState(randomDag(50, 50), 15);
const large = await perState(randomDag(800, 800), 3);
console.log(
  `50 nodes: ${small.usPerState.toFixed(0)} µs/state (${small.entered} states, largest state ${small.largest} B) | 800 nodes: ${large.usPerState.toFixed(0)} µs/state (${large.entered} states, largest state ${large.largest} B) | ratio 800/50 = ${(large.usPerState / small.usPerState).toFixed(2)} (goal ≤ 2)`,
);
console.log(
  `strict-runtime checks (256 KiB per state, 25,000 events): 50 nodes ${small.limitsUsPerState.toFixed(1)} µs/state (${(100 * small.limitsShare).toFixed(1)}% of the run) | 800 nodes ${large.limitsUsPerState.toFixed(1)} µs/state (${(100 * large.limitsShare).toFixed(1)}% of the run)`,
);
console.log(
  `transitions per action node: 50 nodes ${(small.entered / 50).toFixed(2)}, 800 nodes ${(large.entered / 800).toFixed(2)}`,
);

console.log('== ASL bytes per action node (JSON-escaped, as CreateStateMachine counts them) ==');
for (const n of [100, 1_000]) {
  const dag = buildMachine(randomDag(n, n), context).asl;
  const line = buildMachine(chain(n), context).asl;
  console.log(
    `${n} nodes: random DAG ${(escapedBytes(dag) / n).toFixed(0)} B/node (raw ${(Buffer.byteLength(JSON.stringify(dag)) / n).toFixed(0)}) | chain ${(escapedBytes(line) / n).toFixed(0)} B/node (goals ≤ 600 / ≤ 500)`,
  );
}
let fits = 0;
for (let n = 500; n <= 4_000; n += 250) {
  if (escapedBytes(buildMachine(randomDag(n, n), context).asl) > 1_048_576) break;
  fits = n;
}
console.log(`largest random DAG (step 250) within 1 MiB escaped: ${fits} nodes (goal ≥ 1,500)`);

console.log('== fan-out ==');
for (const k of [12, 40]) {
  const def = fanOut(k);
  const { asl } = buildMachine(def, context);
  const run = runLocally(asl, machineInput, { validate: 'none', invokeAction: echo as never });
  const record = await run.promise;
  console.log(
    `${k}-way fan-out: run ${record.status}, most intrinsic functions in one field ${mostIntrinsics(asl)} (AWS limit 10)`,
  );
}
